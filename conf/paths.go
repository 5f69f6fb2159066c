package conf

import "path/filepath"

// Relative paths in a config file are relative to the file's directory,
// not to chatd's working directory: `chatd -config /etc/chatd/chatd.toml`
// with tls_cert = "cert.pem" reads /etc/chatd/cert.pem wherever chatd was
// started from, like chatd.klines, which lives next to the config file.

// pathKeys returns a pointer to every key whose value names a file. A new
// key that names a file is added here, so that it is resolved like these.
func (c *Config) pathKeys() []*string {
	return []*string{&c.Listen.TLSCert, &c.Listen.TLSKey, &c.Store.Path}
}

// resolvePaths makes every relative path in c relative to dir, the
// directory of the file c was read from. Empty values stay empty.
func (c *Config) resolvePaths(dir string) {
	for _, p := range c.pathKeys() {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}
