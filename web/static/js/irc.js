// IRC lines: parsing and building (IRCv3 message-tags included).
// Everything here is pure: no DOM, no network.

const tagUnescapes = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTag(v) {
  return v.replace(/\\(.?)/g, (_, c) => (c in tagUnescapes ? tagUnescapes[c] : c));
}

function escapeTag(v) {
  return v.replace(/[\\; \r\n]/g, (c) => ({ '\\': '\\\\', ';': '\\:', ' ': '\\s', '\r': '\\r', '\n': '\\n' })[c]);
}

// parse turns one line into {tags, source, nick, command, params}; null
// for a line it cannot read.
export function parse(line) {
  let i = 0;
  const msg = { tags: {}, source: '', nick: '', command: '', params: [] };
  const word = () => {
    const end = line.indexOf(' ', i);
    const w = end < 0 ? line.slice(i) : line.slice(i, end);
    i = end < 0 ? line.length : end + 1;
    while (line[i] === ' ') i++;
    return w;
  };
  if (line[0] === '@') {
    i = 1;
    for (const t of word().split(';')) {
      if (!t) continue;
      const eq = t.indexOf('=');
      msg.tags[eq < 0 ? t : t.slice(0, eq)] = eq < 0 ? '' : unescapeTag(t.slice(eq + 1));
    }
  }
  if (line[i] === ':') {
    i++;
    msg.source = word();
    msg.nick = msg.source.split('!')[0];
  }
  msg.command = word().toUpperCase();
  if (!msg.command) return null;
  while (i < line.length) {
    if (line[i] === ':') {
      msg.params.push(line.slice(i + 1));
      break;
    }
    msg.params.push(word());
  }
  return msg;
}

// build makes a line from a command and parameters; the last one is sent
// after ':' when it needs to be (or always, with trailing = true). CR, LF
// and NUL never leave: they would end the line or be refused.
export function build(command, params = [], tags = null) {
  const clean = (s) => String(s).replace(/[\r\n\0]/g, ' ');
  let line = '';
  if (tags && Object.keys(tags).length) {
    line = '@' + Object.entries(tags).map(([k, v]) => (v === '' ? k : k + '=' + escapeTag(v))).join(';') + ' ';
  }
  line += command;
  params.forEach((p, n) => {
    p = clean(p);
    const last = n === params.length - 1;
    if (last && (p === '' || p.includes(' ') || p[0] === ':')) line += ' :' + p;
    else line += ' ' + p;
  });
  return line;
}

// Casemapping rfc1459, as chatd advertises (CASEMAPPING=rfc1459).
export function fold(name) {
  return name.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c]);
}

export function isChannel(name) {
  return name.length > 1 && '#&'.includes(name[0]);
}

// Formatting codes (bold, colours, ...) are dropped for display: the text
// is shown as plain text, never interpreted.
export function stripFormatting(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, '');
}

// base64 of a UTF-8 string (SASL PLAIN).
export function base64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  bytes.forEach((b) => { bin += String.fromCharCode(b); });
  return btoa(bin);
}
