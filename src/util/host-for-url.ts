// A host as it goes into a URL's authority: an IPv6 literal in brackets (`[::1]`), anything else as
// it is. The one place dsb writes that rule (bridge URL, web-page guard, launch commands, doctor,
// probe).

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
