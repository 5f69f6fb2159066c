package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The web chat page in a real browser: Debian's headless Chromium, driven
// through the DevTools protocol (github.com/chromedp/chromedp), against
// the whole daemon. With CHATD_SCREENSHOTS=1 the test also writes the
// README's screenshots (doc/screenshots/).

// newBrowser starts a headless Chromium with a fresh profile and returns
// a context for its first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := needTool(t, "chromium", "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser outside any test timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// page is one tab with the chat page open.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context
}

func openPage(t *testing.T, browser context.Context, url, name string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, for as long as ctx lives
		t.Fatalf("%s: new tab: %v", name, err)
	}
	p := &page{t: t, name: name, ctx: ctx}
	p.run(chromedp.Navigate(url))
	p.run(chromedp.WaitVisible(chromedp.ID("nick")))
	return p
}

func (p *page) run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// until waits for a JavaScript expression to be true.
func (p *page) until(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		dump, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById('messages').innerText.slice(-1500)`))
		if dir := os.Getenv("CHATD_FAILSHOTS"); dir != "" {
			if png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot()); err == nil {
				_ = os.WriteFile(filepath.Join(dir, p.name+".png"), png, 0o644)
			}
		}
		p.t.Fatalf("%s: waiting for %s: %v\nmessages:\n%s", p.name, what, err, dump)
	}
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return v
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// login picks a nick and waits for the lobby.
func (p *page) login(nick string) {
	p.t.Helper()
	// The tabs share a profile, so the page may offer the last nick used.
	evalJS[chromedp.Void](p, `document.getElementById('nick').value = ''`)
	p.run(chromedp.SendKeys(chromedp.ID("nick"), nick), chromedp.Click(chromedp.ID("login-button")))
	p.until("the lobby", `document.getElementById('conv-title').textContent === '#lobby'`)
}

// say types a line into the composer and sends it with Enter.
func (p *page) say(text string) {
	p.t.Helper()
	p.run(chromedp.SendKeys(chromedp.ID("input"), text+kb.Enter))
}

// sees waits until the open conversation shows a message containing text.
func (p *page) sees(text string) {
	p.t.Helper()
	p.until("a message with "+jsString(text),
		`[...document.querySelectorAll('#messages .msg .body')].some(e => e.textContent.includes(`+jsString(text)+`))`)
}

func TestWebPageInChromium(t *testing.T) {
	browser := newBrowser(t)
	d := startWebDaemon(t, nil, nil)
	url := d.webURLs()[0]

	// Said before the pages came: shown from history (CHATHISTORY).
	early := hdial(t, d.addr, "early")
	early.register("early")
	early.send("PRIVMSG #lobby :said before anyone opened the page")
	early.sync()

	alice := openPage(t, browser, url, "alice")
	alice.login("alice")
	alice.sees("said before anyone opened the page")
	alice.until("it marked as history", `[...document.querySelectorAll('#messages .msg.history')].some(e => e.textContent.includes('said before'))`)
	bob := openPage(t, browser, url, "bob")
	bob.login("bob")

	// The lobby: both ways.
	alice.say("hello from alice")
	bob.sees("hello from alice")
	bob.say("hi alice, bob here")
	alice.sees("hi alice, bob here")

	// A TCP client (an irssi user, say) and the pages see each other.
	tom := hdial(t, d.addr, "tom")
	tom.register("tom")
	tom.send("PRIVMSG #lobby :hello from a TCP client")
	alice.sees("hello from a TCP client")
	bob.sees("hello from a TCP client")
	alice.say("welcome tom")
	tom.waitFor(":alice!alice@127.0.0.1 PRIVMSG #lobby :welcome tom")

	// A group, made with the button and its form.
	alice.run(chromedp.Click(chromedp.ID("new-group")), chromedp.WaitVisible(chromedp.ID("dialog-input")),
		chromedp.SendKeys(chromedp.ID("dialog-input"), "games"), chromedp.Click(chromedp.ID("dialog-ok")))
	alice.until("the new group", `document.getElementById('conv-title').textContent === '#games'`)
	alice.until("operator mark", `[...document.querySelectorAll('#member-list button')].some(b => b.textContent === '@alice')`)
	// bob joins it by typing the course command, as in HexChat.
	bob.say("/jg games")
	bob.until("the group", `document.getElementById('conv-title').textContent === '#games'`)
	bob.say("gg")
	alice.sees("gg")

	// Private messages: bob clicks alice's name in the member list.
	bob.run(chromedp.Click(chromedp.Search(`//ul[@id="member-list"]//button[contains(., "alice")]`)))
	bob.until("the private conversation", `document.getElementById('conv-title').textContent === '@ alice'`)
	bob.until("the two people of the private conversation in the member pane",
		`[...document.querySelectorAll('#member-list button')].map(b => b.textContent).join(',') === 'alice,bob'`)
	bob.say("psst, private")
	alice.until("an unread private conversation", `[...document.querySelectorAll('#pm-list button')].some(b => b.textContent.startsWith('bob') && b.querySelector('.badge'))`)
	alice.run(chromedp.Click(chromedp.Search(`//ul[@id="pm-list"]//button[contains(., "bob")]`)))
	alice.sees("psst, private")
	alice.say("got it")
	bob.sees("got it")
	tom.send("PRIVMSG bob :tcp says hi")
	bob.until("tom's private message", `[...document.querySelectorAll('#pm-list button')].some(b => b.textContent.startsWith('tom'))`)

	tom.send("PRIVMSG #lobby :has anyone started the homework? question 3 looks long")
	bob.run(chromedp.Click(chromedp.Search(`//ul[@id="group-list"]//button[contains(., "#lobby")]`)))
	bob.until("the lobby", `document.getElementById('conv-title').textContent === '#lobby'`)
	bob.say("yes — /cg homework if you want a group for it")
	alice.run(chromedp.Click(chromedp.Search(`//ul[@id="group-list"]//button[contains(., "#lobby")]`)))
	alice.sees("if you want a group for it")
	writeScreenshots(t, alice, bob)

	// Hostile text renders as text: a message, a topic and a group name
	// carrying markup, from the TCP client. (Nicks cannot carry it: 432.)
	const hostile = `<img src=x onerror="document.title='pwned';window.pwned=1">`
	tom.send("PRIVMSG #lobby :" + hostile)
	tom.send("JOIN #<img/src=x/onerror=window.pwned=2>")
	tom.send("TOPIC #<img/src=x/onerror=window.pwned=2> :<b onmouseover=alert(1)>bold?</b>")
	tom.send("NICK <img>")
	refused := false
	for _, l := range tom.sync() {
		refused = refused || strings.HasPrefix(l, ":chatd.test 432 tom <img> :")
	}
	if !refused {
		t.Error("NICK <img> was not refused with 432")
	}
	alice.run(chromedp.Click(chromedp.Search(`//ul[@id="group-list"]//button[contains(., "#lobby")]`)))
	alice.sees(hostile)
	alice.say("/join #<img/src=x/onerror=window.pwned=2>")
	alice.until("the hostile group", `document.getElementById('conv-topic').textContent === '<b onmouseover=alert(1)>bold?</b>'`)
	type dom struct {
		Imgs   int    `json:"imgs"`
		Bolds  int    `json:"bolds"`
		Pwned  bool   `json:"pwned"`
		Title  string `json:"title"`
		Groups string `json:"groups"`
	}
	injected := evalJS[dom](alice, `({imgs: document.querySelectorAll('#app img').length, bolds: document.querySelectorAll('#app b').length,
		pwned: 'pwned' in window, title: document.title, groups: document.getElementById('group-list').textContent})`)
	if injected.Imgs != 1 || injected.Bolds != 0 || injected.Pwned || injected.Title == "pwned" {
		t.Errorf("markup from the server was interpreted: %+v (the one img is the logo)", injected)
	}
	if want := "#<img/src=x/onerror=window.pwned=2>"; !strings.Contains(injected.Groups, want) {
		t.Errorf("group list %q does not show %q as text", injected.Groups, want)
	}
}

// writeScreenshots saves the page at desktop and phone widths, into
// doc/screenshots when CHATD_SCREENSHOTS=1, else into a temporary
// directory (so the code path runs every time).
func writeScreenshots(t *testing.T, alice, bob *page) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("CHATD_SCREENSHOTS") == "1" {
		dir = filepath.Join("doc", "screenshots")
	}
	alice.run(chromedp.Click(chromedp.Search(`//ul[@id="group-list"]//button[contains(., "#lobby")]`)))
	alice.sees("question 3 looks long")
	alice.run(chromedp.EmulateViewport(1280, 800))
	desktop := screenshot(alice)
	bob.run(chromedp.Click(chromedp.Search(`//ul[@id="group-list"]//button[contains(., "#lobby")]`)))
	bob.sees("question 3 looks long")
	bob.run(chromedp.EmulateViewport(390, 760, chromedp.EmulateScale(2)))
	// The drawers slide away at phone width; wait for them to be gone.
	bob.until("the phone layout", `document.getElementById('sidebar').getBoundingClientRect().right <= 0 &&
		document.getElementById('members').getBoundingClientRect().left >= innerWidth`)
	phone := screenshot(bob)
	bob.run(chromedp.EmulateViewport(1280, 800))
	for name, png := range map[string][]byte{"web-desktop.png": desktop, "web-phone.png": phone} {
		if len(png) == 0 {
			t.Errorf("empty screenshot %s", name)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func screenshot(p *page) []byte {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	return png
}

// TestWebPageAccountLogin: "I have an account" logs in with SASL PLAIN
// over the WebSocket; a wrong password is told on the login form.
func TestWebPageAccountLogin(t *testing.T) {
	browser := newBrowser(t)
	d := startWebDaemon(t, nil, nil, withWorldTuning(cheapPasswords))
	url := d.webURLs()[0]
	reg := hdial(t, d.addr, "reg")
	reg.register("carol")
	reg.send("REGISTER carol * sesame123")
	var ok bool
	for _, l := range reg.sync() {
		ok = ok || strings.Contains(l, "REGISTER SUCCESS carol")
	}
	if !ok {
		t.Fatal("REGISTER did not succeed")
	}
	reg.send("QUIT")

	login := func(p *page, nick, account, password string) {
		evalJS[chromedp.Void](p, `document.getElementById('nick').value = ''; document.getElementById('account-box').open = true;
			document.getElementById('account').value = ''; document.getElementById('password').value = ''`)
		p.run(chromedp.SendKeys(chromedp.ID("nick"), nick), chromedp.SendKeys(chromedp.ID("account"), account),
			chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("login-button")))
	}
	wrong := openPage(t, browser, url, "wrong")
	login(wrong, "carol", "carol", "not-it")
	wrong.until("the refusal", `!document.getElementById('login-error').hidden && document.getElementById('login').hidden === false`)

	p := openPage(t, browser, url, "carol")
	login(p, "carol", "carol", "sesame123")
	p.until("the lobby", `document.getElementById('conv-title').textContent === '#lobby'`)
	tom := hdial(t, d.addr, "tom")
	tom.register("tom")
	tom.send("WHOIS carol")
	found := false
	for _, l := range tom.sync() {
		found = found || l == ":chatd.test 330 tom carol carol :is logged in as"
	}
	if !found {
		t.Error("WHOIS does not show carol logged in to her account")
	}
}
