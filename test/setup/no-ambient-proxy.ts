// The tests' servers are on loopback, and ferry does not bypass a proxy for loopback (curl's reading of NO_PROXY,
// docs/manifest.md "Proxies"): a proxy set in the environment of the machine running the suite would carry, or refuse,
// every request. The tests that exercise proxies set these variables themselves, per command.
for (const name of ['https_proxy', 'http_proxy', 'all_proxy', 'no_proxy']) {
  delete process.env[name];
  delete process.env[name.toUpperCase()];
}
