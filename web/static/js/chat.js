// The chat as the page sees it: conversations (groups and private ones),
// their messages, members, topics and unread counts, kept up to date from
// the server's lines. No DOM here: the UI reads this state and is told
// what changed through onChange.

import { fold, isChannel, stripFormatting } from './irc.js';

let nextLocalId = 1;

export class Conversation {
  constructor(name, kind) {
    this.name = name;
    this.key = fold(name);
    this.kind = kind; // 'channel' | 'pm'
    this.messages = [];
    this.msgids = new Set();
    this.unread = 0;
    this.important = 0; // mentions and private messages not yet seen
    this.topic = '';
    this.members = new Map(); // folded nick -> {nick, prefix, away}
    this.joined = kind === 'pm';
    this.namesDone = true;
    this.historyAsked = false;
  }
}

export class Chat {
  constructor(onChange, onNotify) {
    this.onChange = onChange; // (what, conv) what: 'list'|'messages'|'members'|'header'|'me'
    this.onNotify = onNotify; // (conv, message)
    this.convs = new Map();
    this.active = null;
    this.me = '';
    this.away = false;
    this.lobby = '';
    this.switchTo = new Set(); // folded names to open when joined
    this.batches = new Map();  // ref -> {type, target}
    this.groupList = null;     // collecting LIST replies
    this.onGroupList = null;
    this.pageVisible = true;
  }

  isMe(nick) { return fold(nick) === fold(this.me); }

  conv(name, kind) {
    const key = fold(name);
    let c = this.convs.get(key);
    if (!c) {
      c = new Conversation(name, kind || (isChannel(name) ? 'channel' : 'pm'));
      this.convs.set(key, c);
      this.onChange('list');
    }
    return c;
  }

  find(name) { return this.convs.get(fold(name)); }

  activate(conv) {
    this.active = conv;
    if (conv) {
      conv.unread = 0;
      conv.important = 0;
    }
    this.onChange('active', conv);
  }

  remove(conv) {
    this.convs.delete(conv.key);
    if (this.active === conv) {
      this.active = this.find(this.lobby) || this.convs.values().next().value || null;
    }
    this.onChange('active', this.active);
  }

  // add puts a message in a conversation, counting it unread when the
  // user is not looking at it.
  add(conv, m) {
    if (m.msgid) {
      if (conv.msgids.has(m.msgid)) return;
      conv.msgids.add(m.msgid);
    }
    m.id = nextLocalId++;
    if (m.history) {
      // History goes before what arrived live, in time order.
      let i = conv.messages.findIndex((x) => !x.history && x.time >= m.time);
      if (i < 0) i = conv.messages.length;
      conv.messages.splice(i, 0, m);
      this.onChange('messages', conv);
      return;
    }
    conv.messages.push(m);
    if (conv.messages.length > 2000) conv.messages.splice(0, conv.messages.length - 2000);
    const seen = conv === this.active && this.pageVisible;
    if (!seen && m.kind !== 'system' && !m.own) {
      conv.unread++;
      if (m.mention || conv.kind === 'pm') {
        conv.important++;
        this.onNotify(conv, m);
      }
      this.onChange('list');
    } else if (!m.own && m.kind !== 'system' && (m.mention || conv.kind === 'pm') && !this.pageVisible) {
      this.onNotify(conv, m);
    }
    this.onChange('append', conv, m);
  }

  system(conv, text, time) {
    if (conv) this.add(conv, { kind: 'system', text, time: time || new Date() });
  }

  totalImportant() {
    let n = 0;
    for (const c of this.convs.values()) n += c.important;
    return n;
  }

  // handle applies one server line.
  handle(msg) {
    const p = msg.params;
    const time = msg.tags.time ? new Date(msg.tags.time) : new Date();
    const batch = msg.tags.batch && this.batches.get(msg.tags.batch);
    const history = !!(batch && /chathistory/.test(batch.type));
    switch (msg.command) {
      case 'PRIVMSG': case 'NOTICE': {
        const target = p[0] || '';
        let text = p[1] || '';
        const fromMe = this.isMe(msg.nick);
        if (!msg.nick || msg.source.indexOf('!') < 0) { // from the server
          this.system(this.active || this.find(this.lobby), stripFormatting(text), time);
          return;
        }
        let kind = msg.command === 'NOTICE' ? 'notice' : 'message';
        if (text.startsWith('\x01')) {
          const body = text.replace(/^\x01|\x01$/g, '');
          if (!body.startsWith('ACTION')) return; // other CTCP is not shown
          kind = 'action';
          text = body.slice(7);
        }
        const convName = isChannel(target) ? target : (fromMe ? target : msg.nick);
        const conv = this.conv(convName);
        conv.joined = conv.joined || !isChannel(target);
        const clean = stripFormatting(text);
        this.add(conv, {
          kind, nick: msg.nick, text: clean, time, msgid: msg.tags.msgid, own: fromMe, history,
          mention: !fromMe && this.mentions(clean),
        });
        if (fromMe && this.onEcho) this.onEcho(target, text);
        return;
      }
      case 'JOIN': {
        const conv = this.conv(p[0], 'channel');
        if (this.isMe(msg.nick)) {
          conv.joined = true;
          conv.members.clear();
          if (!this.lobby) this.lobby = conv.name;
          if (!this.active || this.switchTo.has(conv.key)) {
            this.switchTo.delete(conv.key);
            this.activate(conv);
          }
          if (this.onJoined) this.onJoined(conv);
          this.onChange('list');
        } else {
          conv.members.set(fold(msg.nick), { nick: msg.nick, prefix: '', away: false });
          if (!history) this.system(conv, `${msg.nick} joined`, time);
        }
        this.onChange('members', conv);
        return;
      }
      case 'PART': case 'KICK': {
        const conv = this.find(p[0]);
        if (!conv) return;
        const who = msg.command === 'KICK' ? p[1] : msg.nick;
        if (this.isMe(who)) {
          conv.joined = false;
          if (msg.command === 'PART') this.remove(conv);
          else this.system(conv, `You were removed by ${msg.nick}${p[2] ? ': ' + p[2] : ''}`, time);
          this.onChange('list');
          return;
        }
        conv.members.delete(fold(who));
        const why = msg.command === 'KICK' ? ` (removed by ${msg.nick}${p[2] ? ': ' + p[2] : ''})` : (p[1] ? ` (${p[1]})` : '');
        this.system(conv, `${who} left${why}`, time);
        this.onChange('members', conv);
        return;
      }
      case 'QUIT':
        for (const conv of this.convs.values()) {
          if (conv.members.delete(fold(msg.nick)) || (conv.kind === 'pm' && conv.key === fold(msg.nick))) {
            this.system(conv, `${msg.nick} went offline${p[0] ? ' (' + p[0] + ')' : ''}`, time);
            this.onChange('members', conv);
          }
        }
        return;
      case 'NICK': {
        const old = msg.nick;
        const now = p[0];
        if (this.isMe(old)) { this.me = now; this.onChange('me'); }
        for (const conv of this.convs.values()) {
          const m = conv.members.get(fold(old));
          if (m) {
            conv.members.delete(fold(old));
            m.nick = now;
            conv.members.set(fold(now), m);
            this.system(conv, `${old} is now ${now}`, time);
            this.onChange('members', conv);
          }
        }
        const pm = this.find(old);
        if (pm && pm.kind === 'pm' && !this.find(now)) {
          this.convs.delete(pm.key);
          pm.name = now;
          pm.key = fold(now);
          this.convs.set(pm.key, pm);
          this.onChange('list');
          this.onChange('header', pm);
        }
        return;
      }
      case 'TOPIC': {
        const conv = this.conv(p[0], 'channel');
        conv.topic = stripFormatting(p[1] || '');
        this.system(conv, `${msg.nick} set the topic: ${conv.topic || '(none)'}`, time);
        this.onChange('header', conv);
        return;
      }
      case '332': { const c = this.conv(p[1], 'channel'); c.topic = stripFormatting(p[2] || ''); this.onChange('header', c); return; }
      case '331': { const c = this.conv(p[1], 'channel'); c.topic = ''; this.onChange('header', c); return; }
      case '353': {
        const conv = this.conv(p[2], 'channel');
        if (conv.namesDone) { conv.members.clear(); conv.namesDone = false; }
        for (const entry of (p[3] || '').split(' ')) {
          if (!entry) continue;
          const prefix = entry.match(/^[~&@%+]*/)[0];
          const nick = entry.slice(prefix.length).split('!')[0];
          const old = conv.members.get(fold(nick));
          conv.members.set(fold(nick), { nick, prefix: prefix.includes('@') ? '@' : prefix.includes('+') ? '+' : '', away: old ? old.away : false });
        }
        return;
      }
      case '366': { const c = this.find(p[1]); if (c) { c.namesDone = true; this.onChange('members', c); } return; }
      case '352': { // WHO: away flags
        const c = this.find(p[1]);
        const m = c && c.members.get(fold(p[5] || ''));
        if (m) { m.away = (p[6] || '').startsWith('G'); this.dirtyMembers = c; }
        return;
      }
      case '315': if (this.dirtyMembers) { this.onChange('members', this.dirtyMembers); this.dirtyMembers = null; } return;
      case 'AWAY':
        for (const conv of this.convs.values()) {
          const m = conv.members.get(fold(msg.nick));
          if (m) { m.away = p.length > 0 && p[0] !== ''; this.onChange('members', conv); }
        }
        return;
      case 'MODE': {
        const conv = this.find(p[0]);
        if (!conv || conv.kind !== 'channel') return;
        let add = true;
        let arg = 2;
        for (const ch of p[1] || '') {
          if (ch === '+' || ch === '-') { add = ch === '+'; continue; }
          if ('ov'.includes(ch)) {
            const m = conv.members.get(fold(p[arg] || ''));
            if (m) m.prefix = add ? (ch === 'o' ? '@' : (m.prefix === '@' ? '@' : '+')) : (m.prefix === (ch === 'o' ? '@' : '+') ? '' : m.prefix);
            arg++;
          } else if ('bklIe'.includes(ch)) arg++;
        }
        this.system(conv, `${msg.nick} set mode ${p.slice(1).join(' ')}`, time);
        this.onChange('members', conv);
        return;
      }
      case '305': this.away = false; this.onChange('me'); return;
      case '306': this.away = true; this.onChange('me'); return;
      case '301': { const c = this.find(p[1]); if (c) this.system(c, `${p[1]} is away: ${p[2] || ''}`, time); return; }
      case 'BATCH': {
        const ref = p[0].slice(1);
        if (p[0][0] === '+') this.batches.set(ref, { type: p[1] || '', target: p[2] || '' });
        else {
          const b = this.batches.get(ref);
          this.batches.delete(ref);
          if (b && /chathistory/.test(b.type)) { const c = this.find(b.target); if (c) this.onChange('messages', c); }
        }
        return;
      }
      case '321': this.groupList = []; return;
      case '322': if (this.groupList) this.groupList.push({ name: p[1], users: Number(p[2]) || 0, topic: stripFormatting(p[3] || '') }); return;
      case '323': if (this.onGroupList && this.groupList) this.onGroupList(this.groupList); this.groupList = null; return;
      case 'FAIL': case 'WARN': case 'NOTE':
        this.system(this.active, `${p[p.length - 1]}`, time);
        return;
      case 'ERROR':
        this.system(this.active, `Disconnected: ${p[0] || ''}`, time);
        return;
      case '372': case '375': case '376': case '422':
        if (msg.command === '372') this.system(this.find(this.lobby) || this.active, stripFormatting((p[1] || '').replace(/^- ?/, '')), time);
        return;
      default:
        if (/^\d{3}$/.test(msg.command)) this.numeric(msg, time);
    }
  }

  // numeric shows replies the page has no view of its own for (errors,
  // the course commands' lists, WHOIS) in the conversation in front.
  numeric(msg, time) {
    const n = Number(msg.command);
    if (n < 200 || (n >= 250 && n <= 266) || n === 324 || n === 329 || n === 333 || n === 900 || n === 903) return;
    const rest = msg.params.slice(1).filter((x) => x !== '*');
    if (rest.length) this.system(this.active, rest.join(' '), time);
  }

  mentions(text) {
    if (!this.me) return false;
    const esc = this.me.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(^|[^\\w])${esc}($|[^\\w])`, 'i').test(text);
  }

  // forget resets what a new connection will tell again.
  reconnecting() {
    for (const c of this.convs.values()) {
      if (c.kind === 'channel') { c.members.clear(); c.namesDone = true; }
    }
    this.batches.clear();
  }
}
