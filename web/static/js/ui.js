// Rendering. Every piece of text from the server goes into the page as
// text (textContent, never innerHTML), so a nick, topic or message can
// never become markup.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });

// A stable colour per nick, all dark enough for 4.5:1 on white.
const nickColours = ['#1f5fbf', '#9c2f7a', '#1b7a4b', '#a1420f', '#5b3fb5', '#0f6f80', '#8a5a00', '#b02a37'];
function nickColour(nick) {
  let h = 0;
  for (const ch of nick.toLowerCase()) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return nickColours[h % nickColours.length];
}

// messageItem renders one message; onNick(nick) opens a conversation.
export function messageItem(m, onNick) {
  const li = el('li', { class: `msg ${m.kind}${m.own ? ' own' : ''}${m.mention ? ' mention' : ''}${m.history ? ' history' : ''}`, 'data-id': m.id });
  li.append(el('time', { datetime: m.time.toISOString(), title: m.time.toLocaleString(), text: timeFormat.format(m.time) }));
  const body = el('div', { class: 'body' });
  if (m.kind === 'system') {
    body.textContent = m.text;
  } else {
    const who = el('button', { class: 'who', type: 'button', title: `Talk privately with ${m.nick}`, text: m.kind === 'action' ? `* ${m.nick}` : m.nick });
    who.style.color = nickColour(m.nick);
    if (!m.own) who.addEventListener('click', () => onNick(m.nick));
    body.append(who, document.createTextNode(m.text));
  }
  li.append(body);
  return li;
}

export function dayKey(d) { return d.toDateString(); }

export function dayItem(d) { return el('li', { class: 'day', text: dayFormat.format(d) }); }

// renderMessages fills the list for a conversation.
export function renderMessages(list, conv, onNick) {
  list.replaceChildren();
  let day = '';
  let shownHistory = false;
  for (const m of conv.messages) {
    if (m.history) shownHistory = true;
    else if (shownHistory) {
      list.append(el('li', { class: 'history-mark', text: 'earlier messages above' }));
      shownHistory = false;
    }
    if (dayKey(m.time) !== day) {
      day = dayKey(m.time);
      list.append(dayItem(m.time));
    }
    list.append(messageItem(m, onNick));
  }
  list.dataset.day = day;
  list.scrollTop = list.scrollHeight;
}

// appendMessage adds one message, keeping the view at the bottom if it
// was there.
export function appendMessage(list, m, onNick) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  if (dayKey(m.time) !== list.dataset.day) {
    list.dataset.day = dayKey(m.time);
    list.append(dayItem(m.time));
  }
  list.append(messageItem(m, onNick));
  if (atBottom || m.own) list.scrollTop = list.scrollHeight;
}

export function convButton(conv, active, onOpen) {
  const label = conv.kind === 'pm' ? conv.name : conv.name;
  const b = el('button', { type: 'button', 'aria-current': conv === active ? 'true' : 'false', class: conv.unread ? 'unread' : '' },
    el('span', { class: 'name', text: label }));
  if (conv.unread) b.append(el('span', { class: 'badge', 'aria-label': `${conv.unread} unread`, text: conv.unread > 99 ? '99+' : String(conv.unread) }));
  b.addEventListener('click', () => onOpen(conv));
  return el('li', {}, b);
}

const prefixRank = { '@': 0, '+': 1, '': 2 };

export function renderMembers(list, conv, me, onNick) {
  const members = [...conv.members.values()].sort((a, b) =>
    prefixRank[a.prefix] - prefixRank[b.prefix] || a.nick.toLowerCase().localeCompare(b.nick.toLowerCase()));
  list.replaceChildren(...members.map((m) => {
    const isMe = m.nick.toLowerCase() === me.toLowerCase();
    const title = m.prefix === '@' ? 'operator' : m.prefix === '+' ? 'voiced' : '';
    const b = el('button', { type: 'button', class: `${m.away ? 'away' : ''} ${isMe ? 'you' : ''}`, title: isMe ? 'you' : `Talk privately with ${m.nick}` },
      el('span', { class: 'prefix', 'aria-label': title, text: m.prefix }),
      el('span', { text: m.nick }));
    if (!isMe) b.addEventListener('click', () => onNick(m.nick));
    return el('li', {}, b);
  }));
  return members.length;
}
