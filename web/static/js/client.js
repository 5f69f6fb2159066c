// The connection to chatd: IRCv3 WebSocket, registration, capabilities,
// SASL PLAIN, keepalive answers, reconnection with backoff, and an outbox
// so that nothing typed is lost while the connection is down.

import { parse, build, base64 } from './irc.js';

const wantedCaps = ['server-time', 'echo-message', 'message-tags', 'batch', 'multi-prefix',
  'away-notify', 'chathistory', 'draft/chathistory'];

export class Client {
  // handlers: line(msg), status(state, detail), registered(nick),
  // fatal(reason) for a problem that retrying cannot fix (login refused).
  constructor(url, handlers) {
    this.url = url;
    this.on = handlers;
    this.nick = '';
    this.account = '';
    this.password = '';
    this.caps = new Set();   // acknowledged
    this.offered = new Map(); // offered, with values
    this.ws = null;
    this.ready = false;
    this.everRegistered = false;
    this.outbox = [];        // lines waiting for registration
    this.unconfirmed = [];   // messages sent, not yet echoed back
    this.retries = 0;
    this.timer = null;
    this.stopped = false;
    this.isupport = {};
  }

  start(nick, account = '', password = '') {
    this.nick = nick;
    this.account = account;
    this.password = password;
    this.stopped = false;
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    this.ready = false;
    this.caps = new Set();
    this.offered = new Map();
    this.on.status('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, ['text.ircv3.net']);
    } catch (e) {
      this.scheduleReconnect(String(e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.on.status('registering');
      this.raw(build('CAP', ['LS', '302']));
      this.raw(build('NICK', [this.nick]));
      this.raw(build('USER', [this.nick, '0', '*', this.nick], null));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      for (const line of ev.data.split(/\r?\n/)) {
        if (!line) continue;
        const msg = parse(line);
        if (msg) this.handle(msg);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (!this.stopped) this.scheduleReconnect(this.lastError || 'connection lost');
    };
  }

  scheduleReconnect(why) {
    // 1 s, 2 s, 4 s ... up to 30 s, with jitter so that a restarted server
    // is not met by every browser at the same instant.
    const delay = Math.min(30000, 1000 * 2 ** this.retries) * (0.75 + Math.random() * 0.5);
    this.retries = Math.min(this.retries + 1, 6);
    this.on.status('waiting', { why, at: Date.now() + delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.ws || this.stopped) return;
    this.retries = 0;
    this.connect();
  }

  stop(reason = 'Leaving') {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      try { this.ws.send(build('QUIT', [reason])); } catch (e) { /* closing anyway */ }
      this.ws.close();
    }
    this.ws = null;
  }

  raw(line) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(line);
  }

  // send sends a line now if registered, or once registered again.
  send(line) {
    if (this.ready) this.raw(line);
    else this.outbox.push(line);
  }

  // say sends a message and remembers it until the server echoes it, so
  // that one sent just as the connection died is sent again on
  // reconnection rather than lost.
  say(target, text, command = 'PRIVMSG') {
    const line = build(command, [target, text]);
    if (this.caps.has('echo-message') && command === 'PRIVMSG') this.unconfirmed.push({ target, text, line });
    this.send(line);
  }

  confirm(target, text) {
    const i = this.unconfirmed.findIndex((u) => u.target.toLowerCase() === target.toLowerCase() && u.text === text);
    if (i >= 0) this.unconfirmed.splice(i, 1);
  }

  handle(msg) {
    const p = msg.params;
    switch (msg.command) {
      case 'PING':
        this.raw(build('PONG', p));
        return;
      case 'CAP':
        this.handleCap(p);
        return;
      case 'AUTHENTICATE':
        if (p[0] === '+') {
          const creds = base64(this.account + '\0' + this.account + '\0' + this.password);
          for (let i = 0; i < creds.length; i += 400) this.raw(build('AUTHENTICATE', [creds.slice(i, i + 400)]));
          if (creds.length % 400 === 0) this.raw(build('AUTHENTICATE', ['+']));
        }
        return;
      case '903':
        this.raw(build('CAP', ['END']));
        break;
      case '902': case '904': case '905': case '906':
        this.fail(p[p.length - 1] || 'Login failed');
        return;
      case '001':
        this.nick = p[0];
        this.ready = true;
        this.everRegistered = true;
        this.retries = 0;
        this.lastError = '';
        this.on.status('ready');
        this.on.registered(this.nick);
        for (const u of this.unconfirmed.splice(0)) this.outbox.push(u.line), this.unconfirmed.push(u);
        for (const line of this.outbox.splice(0)) this.raw(line);
        break;
      case '005':
        for (const tok of p.slice(1, -1)) {
          const [k, v = ''] = tok.split('=');
          this.isupport[k] = v;
        }
        break;
      case '432': case '433': case '436':
        if (!this.ready) {
          if (!this.everRegistered) {
            this.fail(msg.command === '432' ? 'That nickname cannot be used: ' + (p[p.length - 1] || '') : 'That nickname is taken; pick another.');
            return;
          }
          this.nick = this.nick.slice(0, 25) + '_';
          this.raw(build('NICK', [this.nick]));
          return;
        }
        break;
      case 'NICK':
        if (msg.nick.toLowerCase() === this.nick.toLowerCase()) this.nick = p[0];
        break;
      case 'ERROR':
        this.lastError = p[0] || 'closed';
        if (/K-lined|banned/i.test(this.lastError) && !this.everRegistered) {
          this.fail(this.lastError);
          return;
        }
        break;
      default:
    }
    this.on.line(msg);
  }

  handleCap([, sub, ...rest]) {
    switch ((sub || '').toUpperCase()) {
      case 'LS': {
        const more = rest[0] === '*';
        const list = more ? rest[1] : rest[0];
        for (const c of (list || '').split(' ')) {
          if (!c) continue;
          const eq = c.indexOf('=');
          this.offered.set(eq < 0 ? c : c.slice(0, eq), eq < 0 ? '' : c.slice(eq + 1));
        }
        if (more) return;
        const req = wantedCaps.filter((c) => this.offered.has(c));
        if (this.account && this.offered.has('sasl')) req.push('sasl');
        if (this.account && !this.offered.has('sasl')) {
          this.fail('This server does not offer logging in (SASL).');
          return;
        }
        if (req.length) this.raw(build('CAP', ['REQ', req.join(' ')]));
        else this.raw(build('CAP', ['END']));
        return;
      }
      case 'ACK':
        for (const c of (rest[0] || '').split(' ')) if (c) this.caps.add(c.replace(/^-/, ''));
        if (this.caps.has('sasl') && this.account && !this.ready) this.raw(build('AUTHENTICATE', ['PLAIN']));
        else if (!this.ready) this.raw(build('CAP', ['END']));
        return;
      case 'NAK':
        if (!this.ready) this.raw(build('CAP', ['END']));
        return;
      default:
    }
  }

  fail(reason) {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
    this.on.fatal(reason);
  }

  historyCap() {
    if (this.caps.has('chathistory')) return 'chathistory';
    if (this.caps.has('draft/chathistory')) return 'draft/chathistory';
    return '';
  }
}
