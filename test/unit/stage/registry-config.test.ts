import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { containerdTemplate, registriesYaml } from '../../../src/kinds/rke2/registry-config.js';

const upstreams = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io'];

describe('registries.yaml and config.toml.tmpl', () => {
  it('mirrors every upstream registry to the enclave registry, with auth and TLS keyed by the enclave host', () => {
    const doc = parse(
      registriesYaml(upstreams, {
        host: 'repos.gov.example:10050',
        prefix: '',
        plainHttp: false,
        insecure: false,
        caFileOnNode: '/etc/rancher/rke2/registry-ca.pem',
        username: 'u',
        password: 'p"w:#',
      }),
    );
    expect(Object.keys(doc.mirrors)).toEqual(upstreams);
    for (const u of upstreams) expect(doc.mirrors[u]).toEqual({ endpoint: ['https://repos.gov.example:10050'] });
    expect(doc.configs).toEqual({
      'repos.gov.example:10050': { auth: { username: 'u', password: 'p"w:#' }, tls: { ca_file: '/etc/rancher/rke2/registry-ca.pem' } },
    });
  });

  it('plain HTTP, insecure TLS and a prefix rewrite; no configs section when there is nothing to say', () => {
    const doc = parse(registriesYaml(['quay.io'], { host: '10.0.0.5:5000', prefix: 'airgap/v1', plainHttp: true, insecure: false }));
    expect(doc).toEqual({ mirrors: { 'quay.io': { endpoint: ['http://10.0.0.5:5000'], rewrite: { '^(.*)$': 'airgap/v1/$1' } } } });
    const insecure = parse(registriesYaml(['quay.io'], { host: 'r:5000', prefix: '', plainHttp: false, insecure: true }));
    expect(insecure.configs).toEqual({ 'r:5000': { tls: { insecure_skip_verify: true } } });
  });

  it('the containerd template carries the same mirrors, quoting what TOML needs quoted', () => {
    const t = containerdTemplate(['docker.io', 'registry.k8s.io'], {
      host: 'r:5000',
      prefix: 'p',
      plainHttp: true,
      insecure: true,
      username: 'u',
      password: 'a"b',
    });
    expect(t).toContain('[plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry.k8s.io"]\n  endpoint = ["http://r:5000"]');
    expect(t).toContain('  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io".rewrite]\n    "^(.*)$" = "p/$1"');
    expect(t).toContain('[plugins."io.containerd.grpc.v1.cri".registry.configs."r:5000".auth]\n  username = "u"\n  password = "a\\"b"');
    expect(t).toContain('insecure_skip_verify = true');
    expect(t).not.toContain('{{ template "base" . }}');
  });
});
