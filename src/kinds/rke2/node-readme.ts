/** What the README for the nodes needs to know about the staged release. */
export interface StagedRelease {
  version: string;
  arch: string;
  bundleName: string;
  /** Image tarballs staged, by file name. */
  imageTarballs: string[];
  /** The all-in-one `rke2-images.linux-<arch>.tar.*` is among them (install.sh then copies the images itself). */
  allInOne: boolean;
  installScript: boolean;
  registriesYaml: boolean;
  caFile?: string;
  registryHost?: string;
  registryPrefix?: string;
}

/** Where the README tells people to copy the staged directory; the commands below run from inside it. */
export const NODE_DIR = '/opt/rke2-artifacts';
export const IMAGES_DIR = '/var/lib/rancher/rke2/agent/images';

/**
 * The install commands for one node type, in order. install.sh, given INSTALL_RKE2_ARTIFACT_PATH, checks and unpacks
 * rke2.linux-<arch>.tar.gz and, only when the all-in-one images tarball is present, puts it and every
 * rke2-images-* file of the directory into the images directory. The image lists are staged in image-lists/ so that
 * loop never copies a .txt (RKE2 would try to pull what a .txt there names). Without the all-in-one tarball the
 * chosen per-set tarballs are copied by hand, after the same checksum check.
 */
export function installCommands(r: StagedRelease, type: 'server' | 'agent'): string[] {
  const lines = [`# install (${type})`, `cd ${NODE_DIR}`, `sha256sum -c --ignore-missing sha256sum-${r.arch}.txt`];
  if (r.installScript) lines.push(`INSTALL_RKE2_ARTIFACT_PATH="$PWD" INSTALL_RKE2_TYPE=${type} INSTALL_RKE2_METHOD=tar sh install.sh`);
  else
    lines.push(
      `# install.sh is not in this bundle (installScript: false): unpack the tarball yourself`,
      `tar xzf rke2.linux-${r.arch}.tar.gz -C /usr/local`,
    );
  if (!r.allInOne || !r.installScript) {
    lines.push(`mkdir -p ${IMAGES_DIR}`, `cp ${r.imageTarballs.join(' ')} ${IMAGES_DIR}/`);
  }
  if (r.registriesYaml) {
    lines.push('mkdir -p /etc/rancher/rke2', 'install -m 600 registries.yaml /etc/rancher/rke2/registries.yaml');
    if (r.caFile) lines.push(`install -m 644 ${r.caFile} /etc/rancher/rke2/${r.caFile}`);
  }
  return lines;
}

const block = (lines: string[]) => ['```sh', ...lines, '```'].join('\n');

export function nodeReadme(r: StagedRelease): string {
  /** config.yaml and the service start; every node but the first joins the first (or the servers' load balancer). */
  const nodeConfig = (kind: 'server' | 'agent', join: boolean) => [
    'mkdir -p /etc/rancher/rke2',
    "cat > /etc/rancher/rke2/config.yaml <<'EOF'",
    ...(join ? ['server: https://rke2.example.internal:9345   # the first server, or the load balancer in front of the servers'] : []),
    'token: CHANGE-ME-shared-cluster-secret',
    ...(kind === 'server'
      ? ['tls-san:', `  - rke2.example.internal${join ? '' : '   # the load balancer / VIP name of the servers'}`]
      : []),
    'EOF',
    `systemctl enable --now rke2-${kind}.service`,
  ];
  const registryNote = r.registriesYaml
    ? [
        `\`registries.yaml\` sends every image pull for the registries the bundle's images come from to the enclave registry`,
        `\`${r.registryHost}${r.registryPrefix ? `/${r.registryPrefix}` : ''}\`, where \`ferry bundle push\` put them. \`config.toml.tmpl\` holds the same in`,
        "containerd's classic template form, only for nodes where you template containerd yourself (it replaces RKE2's template).",
        ...(r.registryPrefix
          ? []
          : [
              '',
              `To have RKE2 pull its own system images from there too, add \`system-default-registry: "${r.registryHost}"\` to config.yaml.`,
            ]),
      ]
    : ['No `registries.yaml` was generated: run `ferry bundle stage … --registry HOST:PORT` to have one for your enclave registry.'];
  return [
    `# RKE2 ${r.version} (${r.arch}) for air-gapped nodes`,
    '',
    `Staged by ferry from bundle \`${r.bundleName}\`. Copy this directory to \`${NODE_DIR}\` on every node and run the`,
    'commands below as root, in this order. Each block is complete; nothing here reaches the internet.',
    '',
    `Image tarballs: ${r.imageTarballs.map((t) => `\`${t}\``).join(', ')}. After the install step a node has exactly these in`,
    `\`${IMAGES_DIR}/\`, and no \`.txt\` file there (the image lists are in \`image-lists/\`, for reference only).`,
    '',
    '## 1. First server',
    '',
    block(installCommands(r, 'server')),
    '',
    block(nodeConfig('server', false)),
    '',
    '## 2. The other servers (two more for a three-server HA control plane)',
    '',
    block(installCommands(r, 'server')),
    '',
    block(nodeConfig('server', true)),
    '',
    '## 3. Agents',
    '',
    block(installCommands(r, 'agent')),
    '',
    block(nodeConfig('agent', true)),
    '',
    '## Registry',
    '',
    ...registryNote,
    '',
    '## Check',
    '',
    block(['/var/lib/rancher/rke2/bin/kubectl --kubeconfig /etc/rancher/rke2/rke2.yaml get nodes', `ls ${IMAGES_DIR}/`]),
    '',
  ].join('\n');
}
