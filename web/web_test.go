package web

import (
	"net/http"
	"net/netip"
	"testing"

	"chatd/conf"
)

func TestChooseSubprotocol(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    string
	}{
		{[]string{"binary.ircv3.net, text.ircv3.net"}, protoBinary},
		{[]string{"text.ircv3.net, binary.ircv3.net"}, protoText},
		{[]string{"x.example", "TEXT.ircv3.net"}, protoText}, // several headers, any case
		{[]string{"x.example"}, ""},
		{nil, ""},
	} {
		if got := chooseSubprotocol(tc.headers); got != tc.want {
			t.Errorf("chooseSubprotocol(%q) = %q, want %q", tc.headers, got, tc.want)
		}
	}
}

func testSettings(t *testing.T, origins, proxies []string) *settings {
	t.Helper()
	cfg := conf.Default()
	cfg.HTTP.AllowedOrigins, cfg.HTTP.TrustedProxies = origins, proxies
	st, err := newSettings(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestClientAddr(t *testing.T) {
	st := testSettings(t, nil, []string{"10.0.0.0/8", "127.0.0.1/32"})
	proxy := netip.MustParseAddrPort("10.1.1.1:5000")
	stranger := netip.MustParseAddrPort("192.0.2.9:5000")
	for _, tc := range []struct {
		peer   netip.AddrPort
		header http.Header
		want   string
		secure bool
	}{
		{stranger, http.Header{"X-Forwarded-For": {"203.0.113.7"}}, "192.0.2.9", false},
		{proxy, nil, "10.1.1.1", false},
		{proxy, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, "203.0.113.7", true},
		{proxy, http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7, 10.2.2.2"}}, "203.0.113.7", false},
		{proxy, http.Header{"X-Forwarded-For": {"6.6.6.6", "203.0.113.7"}}, "203.0.113.7", false},
		{proxy, http.Header{"Forwarded": {`for="[2001:db8::1]:4711";proto=https`}}, "2001:db8::1", true},
		{proxy, http.Header{"Forwarded": {"for=198.51.100.1, for=_hidden"}}, "10.1.1.1", false},
		{proxy, http.Header{"Forwarded": {"for=198.51.100.1:80"}, "X-Forwarded-For": {"6.6.6.6"}}, "198.51.100.1", false},
		{proxy, http.Header{"X-Forwarded-For": {"::ffff:203.0.113.8"}}, "203.0.113.8", false},
	} {
		r := &http.Request{Header: tc.header}
		if r.Header == nil {
			r.Header = http.Header{}
		}
		got, secure := st.clientAddr(r, tc.peer)
		if got.String() != tc.want || secure != tc.secure {
			t.Errorf("from %v with %v: %v secure=%v, want %s secure=%v", tc.peer, tc.header, got, secure, tc.want, tc.secure)
		}
	}
}

func TestOriginAllowed(t *testing.T) {
	st := testSettings(t, []string{"https://chat.example.org"}, []string{"127.0.0.1/32"})
	local := netip.MustParseAddrPort("127.0.0.1:1")
	far := netip.MustParseAddrPort("192.0.2.1:1")
	for _, tc := range []struct {
		host, origin, fwdHost string
		peer                  netip.AddrPort
		ok                    bool
	}{
		{"localhost:8080", "", "", far, true},
		{"localhost:8080", "http://localhost:8080", "", far, true},
		{"chat.example.org", "https://chat.example.org", "", far, true},
		{"chat.example.org:443", "https://chat.example.org", "", far, true},
		{"localhost:8080", "http://localhost:8081", "", far, false},
		{"localhost:8080", "https://evil.example", "", far, false},
		{"127.0.0.1:8080", "https://irc.school.example", "irc.school.example", local, true},
		{"127.0.0.1:8080", "https://irc.school.example", "irc.school.example", far, false}, // header from a stranger
		{"localhost:8080", "null", "", far, false},
	} {
		r := &http.Request{Host: tc.host, Header: http.Header{}}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.fwdHost != "" {
			r.Header.Set("X-Forwarded-Host", tc.fwdHost)
		}
		if got := st.originAllowed(r, tc.peer); got != tc.ok {
			t.Errorf("Host %s Origin %q X-Forwarded-Host %q from %v: %v, want %v", tc.host, tc.origin, tc.fwdHost, tc.peer, got, tc.ok)
		}
	}
}
