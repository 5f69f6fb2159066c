// The page: login, the conversation list, the message view, the member
// list, slash commands (HexChat style: unknown ones go to the server as
// they are), dialogs, notifications.

import { build, isChannel, fold } from './irc.js';
import { Client } from './client.js';
import { Chat } from './chat.js';
import { $, el, renderMessages, appendMessage, convButton, renderMembers } from './ui.js';

const wsURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
const chat = new Chat(changed, notify);
const client = new Client(wsURL, {
  line: (msg) => chat.handle(msg),
  status,
  registered,
  fatal,
});
chat.onEcho = (target, text) => client.confirm(target, text);
chat.onJoined = (conv) => {
  client.send(build('WHO', [conv.name]));
  loadHistory(conv);
};

// ---- login

const form = $('login-form');
$('nick').value = localStorage.getItem('chatd.nick') || '';
$('account').value = localStorage.getItem('chatd.account') || '';
if ($('account').value) $('account-box').open = true;
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const nick = $('nick').value.trim();
  const account = $('account-box').open ? $('account').value.trim() : '';
  const password = account ? $('password').value : '';
  if (!nick) return;
  localStorage.setItem('chatd.nick', nick);
  localStorage.setItem('chatd.account', account);
  $('login-error').hidden = true;
  $('login-button').disabled = true;
  $('login-button').textContent = 'Connecting…';
  chat.me = nick;
  client.start(nick, account, password);
});

function registered(nick) {
  chat.me = nick;
  $('login').hidden = true;
  $('app').hidden = false;
  // After a reconnection: back into every group (the lobby comes by itself).
  for (const c of chat.convs.values()) {
    if (c.kind === 'channel' && fold(c.name) !== fold(chat.lobby) && c.joined) client.send(build('JOIN', [c.name]));
  }
  changed('me');
  $('input').focus();
}

function fatal(reason) {
  $('login').hidden = false;
  $('app').hidden = true;
  $('login-error').textContent = reason;
  $('login-error').hidden = false;
  $('login-button').disabled = false;
  $('login-button').textContent = 'Start chatting';
  $('nick').focus();
}

// ---- connection status

let countdown = null;
function status(state, detail) {
  clearInterval(countdown);
  const s = $('status');
  s.className = 'status ' + (state === 'ready' ? 'ok' : 'bad');
  if (state === 'ready') s.textContent = chat.away ? 'Away' : 'Online';
  else if (state === 'waiting') {
    chat.reconnecting();
    const tick = () => {
      const secs = Math.max(0, Math.round((detail.at - Date.now()) / 1000));
      s.textContent = `Offline — retrying in ${secs}s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  } else s.textContent = 'Connecting…';
}
window.addEventListener('online', () => client.reconnectNow());

// ---- rendering what changed

const openNick = (nick) => {
  const conv = chat.conv(nick, 'pm');
  chat.activate(conv);
  closeDrawers();
  $('input').focus();
};

function changed(what, conv, m) {
  const active = chat.active;
  switch (what) {
    case 'append':
      if (conv === active) appendMessage($('messages'), m, openNick);
      return;
    case 'messages':
      if (conv === active) renderMessages($('messages'), conv, openNick);
      return;
    case 'members':
      if (conv === active) renderMemberPane();
      return;
    case 'header':
      if (conv === active) renderHeader();
      renderLists();
      return;
    case 'me':
      $('me-nick').textContent = chat.me;
      $('away-toggle').setAttribute('aria-pressed', String(chat.away));
      $('away-toggle').textContent = chat.away ? 'Back from away' : 'Set away';
      if (client.ready) status('ready');
      return;
    case 'active':
      renderLists();
      renderHeader();
      if (active) renderMessages($('messages'), active, openNick);
      else $('messages').replaceChildren();
      renderMemberPane();
      if (active && active.kind === 'pm') loadHistory(active);
      updateTitle();
      return;
    default:
      renderLists();
  }
}

function renderLists() {
  const groups = [...chat.convs.values()].filter((c) => c.kind === 'channel' && c.joined);
  groups.sort((a, b) => (fold(a.name) === fold(chat.lobby) ? -1 : fold(b.name) === fold(chat.lobby) ? 1 : a.key.localeCompare(b.key)));
  const pms = [...chat.convs.values()].filter((c) => c.kind === 'pm').sort((a, b) => a.key.localeCompare(b.key));
  $('group-list').replaceChildren(...groups.map((c) => convButton(c, chat.active, openConv)));
  $('pm-list').replaceChildren(...pms.map((c) => convButton(c, chat.active, openConv)));
  $('pm-empty').hidden = pms.length > 0;
  $('unread-dot').hidden = ![...chat.convs.values()].some((c) => c !== chat.active && c.unread > 0);
  updateTitle();
}

function renderHeader() {
  const c = chat.active;
  $('conv-title').textContent = c ? (c.kind === 'pm' ? `@ ${c.name}` : c.name) : '';
  $('conv-topic').textContent = c ? (c.kind === 'pm' ? 'Private conversation' : c.topic || 'No topic') : '';
  $('conv-topic').title = c ? c.topic : '';
  const isLobby = c && fold(c.name) === fold(chat.lobby);
  $('leave').hidden = !c || isLobby;
  $('leave').textContent = c && c.kind === 'pm' ? 'Close' : 'Leave';
  $('edit-topic').hidden = !c || c.kind !== 'channel';
  $('input').placeholder = c ? `Message ${c.name}` : 'Message';
}

function renderMemberPane() {
  const c = chat.active;
  if (c && c.kind === 'pm') {
    // The two people in it, so the pane is not an empty box.
    const pair = { members: new Map([c.name, chat.me].map((nick) => [fold(nick), { nick, prefix: '' }])) };
    renderMembers($('member-list'), pair, chat.me, openNick);
    $('member-count').textContent = 'Private — 2';
    return;
  }
  if (!c) {
    $('member-list').replaceChildren();
    $('member-count').textContent = 'Members';
    return;
  }
  const n = renderMembers($('member-list'), c, chat.me, openNick);
  $('member-count').textContent = `Members — ${n}`;
}

function openConv(conv) {
  chat.activate(conv);
  closeDrawers();
  $('input').focus();
}

function updateTitle() {
  const n = chat.totalImportant();
  document.title = n ? `(${n}) chatd` : 'chatd';
}

function loadHistory(conv) {
  const cap = client.historyCap();
  if (!cap || conv.historyAsked) return;
  conv.historyAsked = true;
  client.send(build('CHATHISTORY', ['LATEST', conv.name, '*', '50']));
}

// ---- notifications

function notify(conv, m) {
  updateTitle();
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible' && conv === chat.active) return;
  const n = new Notification(conv.kind === 'pm' ? `${m.nick} (private)` : `${m.nick} in ${conv.name}`, { body: m.text, tag: conv.key });
  n.onclick = () => { window.focus(); openConv(conv); n.close(); };
}

document.addEventListener('visibilitychange', () => {
  chat.pageVisible = document.visibilityState === 'visible';
  if (chat.pageVisible && chat.active) {
    chat.active.unread = 0;
    chat.active.important = 0;
    renderLists();
  }
});

$('notify-toggle').hidden = !('Notification' in window) || Notification.permission === 'granted';
$('notify-toggle').addEventListener('click', async () => {
  const p = await Notification.requestPermission();
  $('notify-toggle').hidden = p === 'granted';
});

// ---- composing and slash commands

const input = $('input');
$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value;
  input.value = '';
  autosize();
  for (const line of text.split('\n')) if (line.trim()) submitLine(line);
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('composer').requestSubmit();
  }
});
// Enter sends; only Shift+Enter makes a new line (whatever way the key's
// text arrives).
let shiftHeld = false;
input.addEventListener('keydown', (ev) => { shiftHeld = ev.shiftKey; });
input.addEventListener('beforeinput', (ev) => {
  if ((ev.inputType === 'insertLineBreak' || ev.inputType === 'insertParagraph') && !shiftHeld) ev.preventDefault();
});
input.addEventListener('input', autosize);
function autosize() {
  if (!input.value) { input.style.height = ''; input.style.overflowY = 'hidden'; return; }
  input.style.height = 'auto';
  input.style.height = Math.min(input.scrollHeight + 2, 128) + 'px';
  input.style.overflowY = input.scrollHeight > 128 ? 'auto' : 'hidden';
}

// A message longer than one IRC line is sent as several.
function chunks(text, max = 400) {
  const out = [];
  const enc = new TextEncoder();
  let cur = '';
  for (const ch of text) {
    if (enc.encode(cur + ch).length > max) { out.push(cur); cur = ''; }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function say(target, text) {
  for (const part of chunks(text)) client.say(target, part);
}

function submitLine(line) {
  const c = chat.active;
  if (line.startsWith('/') && !line.startsWith('//')) {
    runCommand(line.slice(1));
    return;
  }
  if (line.startsWith('//')) line = line.slice(1);
  if (!c) return;
  say(c.name, line);
}

function runCommand(text) {
  const [word, ...args] = text.split(' ');
  const cmd = word.toLowerCase();
  const rest = (n) => args.slice(n).join(' ');
  const c = chat.active;
  const group = (name) => (isChannel(name) ? name : '#' + name);
  switch (cmd) {
    case 'join': case 'j': if (args[0]) { chat.switchTo.add(fold(group(args[0]))); client.send(build('JOIN', args.slice(0, 2))); } return;
    case 'part': case 'leave': {
      const name = args[0] && isChannel(args[0]) ? args[0] : c && c.name;
      if (name) client.send(build('PART', [name, ...(rest(args[0] && isChannel(args[0]) ? 1 : 0) ? [rest(args[0] && isChannel(args[0]) ? 1 : 0)] : [])]));
      return;
    }
    case 'msg': case 'query': case 'q': {
      if (!args[0]) return;
      const conv = chat.conv(args[0]);
      chat.activate(conv);
      if (rest(1)) say(args[0], rest(1));
      return;
    }
    case 'me': if (c) client.send(build('PRIVMSG', [c.name, `\x01ACTION ${rest(0)}\x01`])); return;
    case 'topic': if (c) client.send(build('TOPIC', rest(0) ? [c.name, rest(0)] : [c.name])); return;
    case 'away': client.send(build('AWAY', [rest(0) || 'Away'])); return;
    case 'back': client.send('AWAY'); return;
    case 'nick': if (args[0]) client.send(build('NICK', [args[0]])); return;
    case 'whois': if (args[0]) client.send(build('WHOIS', [args[0]])); return;
    case 'quit': client.stop(rest(0) || 'Leaving'); fatal('You left the chat. Pick a name to come back.'); return;
    case 'quote': case 'raw': if (rest(0)) client.send(rest(0)); return;
    // Course commands: sent as the server's verbs.
    case 'cg': case 'jg':
      if (args[0]) { chat.switchTo.add(fold(group(args[0]))); client.send(build(cmd.toUpperCase(), args.slice(0, 2))); }
      return;
    case 'lg': {
      const name = args[0] || (c && c.kind === 'channel' ? c.name : '');
      if (name) client.send(build('LG', [name, ...(rest(1) ? [rest(1)] : [])]));
      return;
    }
    case 'pm':
      if (args[0]) {
        chat.activate(chat.conv(args[0], 'pm'));
        if (rest(1)) client.send(build('PM', [args[0], rest(1)]));
      }
      return;
    case 'gc': if (args[0] && rest(1)) client.send(build('GC', [args[0], rest(1)])); return;
    default:
      // Like HexChat: anything else goes to the server as typed.
      client.send(word.toUpperCase() + (args.length ? ' ' + rest(0) : ''));
  }
}

// ---- buttons and dialogs

const dialog = $('dialog');
let dialogOK = null;
function openDialog({ title, text = '', label = '', value = '', list = null, ok = 'OK', onOK }) {
  $('dialog-title').textContent = title;
  $('dialog-text').textContent = text;
  $('dialog-text').hidden = !text;
  $('dialog-label').textContent = label;
  $('dialog-label').hidden = !label;
  $('dialog-input').hidden = !label;
  $('dialog-input').value = value;
  $('dialog-list').replaceChildren(...(list || []));
  $('dialog-list').hidden = !list;
  $('dialog-ok').textContent = ok;
  dialogOK = onOK;
  dialog.showModal();
  (label ? $('dialog-input') : $('dialog-ok')).focus();
}
$('dialog-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const fn = dialogOK;
  dialog.close();
  if (fn) fn($('dialog-input').value.trim());
});
$('dialog-cancel').addEventListener('click', () => dialog.close());

$('new-group').addEventListener('click', () => openDialog({
  title: 'New group', label: 'Group name', ok: 'Create',
  text: 'You become its operator. Others find it under Browse groups.',
  onOK: (name) => name && runCommand(`cg ${name}`),
}));

$('join-group').addEventListener('click', () => {
  chat.onGroupList = (groups) => {
    const joined = new Set([...chat.convs.values()].filter((c) => c.joined).map((c) => c.key));
    const items = groups.sort((a, b) => b.users - a.users).map((g) => el('li', {},
      el('span', { class: 'gname', text: g.name }),
      el('span', { class: 'gtopic', text: `${g.users} · ${g.topic}` }),
      joined.has(fold(g.name)) ? el('span', { text: 'joined' })
        : el('button', { type: 'button', text: 'Join', onclick: () => { dialog.close(); runCommand(`jg ${g.name}`); } })));
    if (dialog.open) dialog.close();
    openDialog({
      title: 'Groups', list: items.length ? items : [el('li', { text: 'No groups yet: create one!' })],
      label: 'Or join by name', ok: 'Join', onOK: (name) => name && runCommand(`jg ${name}`),
    });
  };
  client.send('LIST');
});

$('leave').addEventListener('click', () => {
  const c = chat.active;
  if (!c) return;
  if (c.kind === 'pm') chat.remove(c);
  else client.send(build('LG', [c.name]));
});

$('edit-topic').addEventListener('click', () => {
  const c = chat.active;
  if (c) openDialog({ title: `Topic of ${c.name}`, label: 'Topic', value: c.topic, ok: 'Set topic', onOK: (t) => client.send(build('TOPIC', [c.name, t])) });
});

$('away-toggle').addEventListener('click', () => {
  if (chat.away) client.send('AWAY');
  else openDialog({ title: 'Set away', label: 'Message others see', value: 'Away', ok: 'Set away', onOK: (t) => client.send(build('AWAY', [t || 'Away'])) });
});

const wide = () => window.matchMedia('(min-width: 1001px)').matches;
function closeDrawers() { $('app').classList.remove('show-sidebar', 'members-open'); }
$('open-sidebar').addEventListener('click', () => $('app').classList.add('show-sidebar'));
$('close-sidebar').addEventListener('click', () => $('app').classList.remove('show-sidebar'));
$('toggle-members').addEventListener('click', () => {
  const on = wide() ? !$('app').classList.toggle('hide-members') : $('app').classList.toggle('members-open');
  $('toggle-members').setAttribute('aria-expanded', String(on));
});
$('close-members').addEventListener('click', () => {
  $('app').classList.remove('members-open');
  if (wide()) $('app').classList.add('hide-members');
});

// Keyboard: Alt+Up/Down moves between conversations, Escape closes panels.
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') closeDrawers();
  if (ev.altKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
    const all = [...document.querySelectorAll('.conv-list button')];
    const i = all.findIndex((b) => b.getAttribute('aria-current') === 'true');
    const next = all[(i + (ev.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length];
    if (next) { ev.preventDefault(); next.click(); }
  }
});

window.addEventListener('beforeunload', () => client.stop('Page closed'));
