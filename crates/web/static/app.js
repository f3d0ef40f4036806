// Spreekuur: small conveniences on top of pages that work without JavaScript.
'use strict';

// The live password checklist: ticks the five rules as the patient types, and tells screen
// readers how many rules are met (politely, once typing pauses).
function passwordChecklist() {
  const input = document.getElementById('password');
  const list = document.getElementById('pw-rules');
  const status = document.getElementById('pw-status');
  if (!input || !list || !status) return;
  const tests = {
    length: (p) => [...p].length >= 8,
    lower: (p) => /\p{Ll}/u.test(p),
    upper: (p) => /\p{Lu}/u.test(p),
    digit: (p) => /[0-9]/.test(p),
    special: (p) => /[^\p{L}\p{N}\s]/u.test(p),
  };
  let timer = null;
  const update = () => {
    const p = input.value;
    let met = 0;
    for (const li of list.querySelectorAll('li[data-rule]')) {
      const ok = p.length > 0 && tests[li.dataset.rule](p);
      if (ok) met += 1;
      li.classList.toggle('met', ok);
      li.classList.toggle('unmet', !ok);
      const state = li.querySelector('.rule-state');
      if (state) state.textContent = ': ' + (ok ? status.dataset.met : status.dataset.unmet);
    }
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = status.dataset.template.replace('{met}', String(met)); }, 700);
  };
  input.addEventListener('input', update);
  const show = document.getElementById('show-password');
  if (show) {
    for (const el of document.querySelectorAll('.js-only')) el.hidden = false;
    show.addEventListener('change', () => {
      for (const id of ['password', 'password_confirmation']) {
        const f = document.getElementById(id);
        if (f) f.type = show.checked ? 'text' : 'password';
      }
    });
  }
}

// "De webversie van de messenger gaat over 9 seconden vanzelf voor je open." counts down
// and opens the messenger; the patient can stop it or go at once.
function countdown() {
  const el = document.getElementById('countdown');
  if (!el) return;
  let left = Number(el.dataset.seconds || '9');
  const stop = document.getElementById('countdown-stop');
  const tick = () => {
    left -= 1;
    if (left <= 0) { window.location.assign(el.dataset.href); return; }
    el.textContent = left === 1 && el.dataset.templateOne
      ? el.dataset.templateOne
      : el.dataset.template.replace('{n}', String(left));
  };
  const interval = setInterval(tick, 1000);
  if (stop) {
    stop.hidden = false;
    stop.addEventListener('click', () => { clearInterval(interval); stop.hidden = true; });
  }
}

// After a failed submit, move focus to the summary of problems so it is read out.
function focusErrors() {
  const summary = document.getElementById('form-errors');
  if (summary) summary.focus();
}

// In the composer, Enter sends and Shift+Enter makes a new line.
function composer() {
  const form = document.getElementById('composer');
  const body = document.getElementById('body');
  if (!form || !body) return;
  body.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (body.value.trim() !== '') form.requestSubmit();
    }
  });
  // Nothing is cut: near the limit the room left shows; past it the message says by how much
  // it is too long and is not sent, so the end of a long letter is never lost.
  const room = document.getElementById('body-room');
  const tooLong = () => {
    if (!room) return false;
    const max = Number(room.dataset.max);
    const left = max - [...body.value.trim()].length;
    const over = left < 0;
    room.textContent = over ? room.dataset.over.replace('{n}', String(-left))
      : left <= 500 ? room.dataset.room.replace('{n}', String(left)) : '';
    room.classList.toggle('error', over);
    if (over) body.setAttribute('aria-invalid', 'true');
    else if (!document.getElementById('message-error')) body.removeAttribute('aria-invalid');
    return over;
  };
  body.addEventListener('input', tooLong);
  tooLong();
  form.addEventListener('submit', (e) => {
    if (tooLong()) {
      e.preventDefault();
      e.stopImmediatePropagation();
      body.focus();
    }
  }, true);
  // The newest message in view; after "Eerdere berichten tonen", the one the reader was at.
  const at = /^#m\d+$/.test(location.hash) ? document.getElementById(location.hash.slice(1)) : null;
  const last = document.querySelector('.messages li:last-child');
  if (at) at.scrollIntoView({ block: 'start' });
  else if (last) last.scrollIntoView({ block: 'end' });
}

// Passkeys: the browser's WebAuthn API between the server's two steps of a ceremony (see
// pages/passkeys.rs). Binary fields travel as unpadded base64url, as webauthn-rs expects.
const b64url = {
  decode(s) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let bin = '';
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
};

function creationOptions(o) {
  const pk = { ...o.publicKey, challenge: b64url.decode(o.publicKey.challenge) };
  pk.user = { ...pk.user, id: b64url.decode(pk.user.id) };
  if (pk.excludeCredentials) pk.excludeCredentials = pk.excludeCredentials.map((c) => ({ ...c, id: b64url.decode(c.id) }));
  return { publicKey: pk };
}

function requestOptions(o) {
  const pk = { ...o.publicKey, challenge: b64url.decode(o.publicKey.challenge) };
  if (pk.allowCredentials) pk.allowCredentials = pk.allowCredentials.map((c) => ({ ...c, id: b64url.decode(c.id) }));
  const options = { publicKey: pk };
  if (o.mediation) options.mediation = o.mediation;
  return options;
}

function credentialJson(cred) {
  const r = cred.response;
  const response = { clientDataJSON: b64url.encode(r.clientDataJSON) };
  const extensions = {};
  if (r.attestationObject) {
    response.attestationObject = b64url.encode(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
    const props = cred.getClientExtensionResults().credProps;
    if (props) extensions.credProps = props;
  } else {
    response.authenticatorData = b64url.encode(r.authenticatorData);
    response.signature = b64url.encode(r.signature);
    response.userHandle = r.userHandle ? b64url.encode(r.userHandle) : null;
  }
  return { id: cred.id, rawId: b64url.encode(cred.rawId), type: cred.type, response, extensions };
}

async function postForm(url, data) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(data),
    credentials: 'same-origin',
  });
  let body = {};
  try { body = await res.json(); } catch { /* not JSON: a plain error page */ }
  return { ok: res.ok, body };
}

const PASSKEY_FINISH = { 'sign-in': '/login/passkey', confirm: '/two-factor/passkey', unlock: '/lock/passkey', add: '/settings/passkeys' };

// One ceremony: options from the server, the browser's dialog (or autofill), the answer back.
async function passkeyCeremony(kind, form, extra, signal) {
  const data = new FormData(form);
  for (const [k, v] of Object.entries(extra)) data.set(k, v);
  const start = await postForm(form.action, data);
  if (start.body.redirect) { window.location.assign(start.body.redirect); return; }
  if (!start.ok || !start.body.options) throw new Error(start.body.error || '');
  const options = kind === 'add' ? creationOptions(start.body.options) : requestOptions(start.body.options);
  if (signal) options.signal = signal;
  const cred = kind === 'add' ? await navigator.credentials.create(options) : await navigator.credentials.get(options);
  const done = await postForm(PASSKEY_FINISH[kind], {
    _csrf: data.get('_csrf'),
    ceremony: start.body.ceremony,
    credential: JSON.stringify(credentialJson(cred)),
  });
  if (done.body.redirect) { window.location.assign(done.body.redirect); return; }
  throw new Error(done.body.error || '');
}

function passkeys() {
  for (const box of document.querySelectorAll('[data-passkey]')) {
    const kind = box.dataset.passkey;
    const form = box.querySelector('form');
    const reveal = box.querySelector('.passkey-form');
    const problem = box.querySelector('.passkey-problem');
    const error = box.querySelector('.passkey-error');
    const status = box.querySelector('.passkey-status');
    if (!form || !reveal || !problem || !error || !status) continue;
    if (!window.PublicKeyCredential || !window.isSecureContext || !navigator.credentials) {
      problem.textContent = problem.dataset.unsupported;
      problem.hidden = false;
      continue;
    }
    if (box.dataset.origin && box.dataset.origin !== window.location.origin) {
      problem.textContent = problem.dataset.wrongOrigin;
      problem.hidden = false;
      continue;
    }
    reveal.hidden = false;
    let autofill = null;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (autofill) { autofill.abort(); autofill = null; }
      error.hidden = true;
      status.textContent = status.dataset.busy;
      try {
        await passkeyCeremony(kind, form, {}, null);
      } catch (err) {
        status.textContent = '';
        // The browser's own messages (cancelled, timed out) are not in the visitor's language.
        const own = err instanceof DOMException || !err || !err.message;
        error.textContent = own ? error.dataset.failed : err.message;
        error.hidden = false;
      }
    });
    // The browser's autofill on the login field offers the passkeys of this site.
    if (kind === 'sign-in' && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((ok) => {
        if (!ok) return;
        autofill = new AbortController();
        passkeyCeremony(kind, form, { conditional: '1' }, autofill.signal).catch(() => { /* dismissed */ });
      }).catch(() => {});
    }
  }
}

// The app lock ("Toegangscode vergrendeling"): on a device with the lock on, after the
// practice's time without activity the page locks itself, so nothing stays on screen. While
// the person is active, a request now and then tells the server, which keeps the same clock.
function appLock() {
  if (!document.body.hasAttribute('data-signed-in')) return;
  const status = () => fetch('/lock/status', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok && r.headers.get('content-type') === 'application/json' ? r.json() : {}));
  status().then((s) => {
    const limit = Number(s.lock_after_secs || 0) * 1000;
    if (!limit) return;
    let last = Date.now();
    let told = Date.now();
    const touch = () => { last = Date.now(); };
    for (const ev of ['mousemove', 'mousedown', 'keydown', 'touchstart', 'scroll', 'input']) {
      window.addEventListener(ev, touch, { passive: true, capture: true });
    }
    setInterval(() => {
      const now = Date.now();
      if (now - last >= limit) {
        const csrf = document.querySelector('input[name=_csrf]');
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/lock/now';
        if (csrf) form.append(csrf.cloneNode());
        document.body.append(form);
        form.submit();
      } else if (last > told && now - told >= 60000) {
        told = now;
        status().catch(() => {});
      }
    }, 1000);
  }).catch(() => {});
}

// Live delivery (docs/websocket.md): new messages appear without a reload, "Stuur" goes over
// the socket and waits for the server's acknowledgement, and a lost connection resumes from
// the last message shown. Without a socket the page works as before (forms and reloads).
function liveMessenger() {
  const root = document.getElementById('messenger');
  if (!root || !window.WebSocket) return;
  const current = root.dataset.conversation || null;
  let lastSeq = Number(root.dataset.lastSeq || '0');
  const list = root.querySelector('ol.messages');
  const form = document.getElementById('composer');
  const body = document.getElementById('body');
  const clientField = form ? form.querySelector('input[name=client_id]') : null;
  const locale = root.dataset.lang === 'en' ? 'en-GB' : 'nl-NL';
  const dayFormat = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Amsterdam' });
  const timeFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Amsterdam' });
  // As the server writes it: "12:14" today, "gisteren 12:14" yesterday, else the date too.
  const dayOf = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(d);
  const when = {
    format: (d) => {
      const day = dayOf(d);
      if (day === dayOf(new Date())) return timeFormat.format(d);
      if (day === dayOf(new Date(Date.now() - 864e5))) return `${root.dataset.yesterday} ${timeFormat.format(d)}`;
      return `${dayFormat.format(d)}, ${timeFormat.format(d)}`;
    },
  };
  const newClientId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : Array.from({ length: 4 }, () => Math.random().toString(36).slice(2)).join(''));
  let socket = null;
  let retry = 1000;
  let pending = null;

  const show = (m) => {
    if (!list || m.conversation !== current) return;
    if (list.querySelector(`li[data-seq="${m.seq}"]`)) return;
    const mine = m.sender === root.dataset.me;
    const li = document.createElement('li');
    li.className = 'message' + (mine ? ' mine' : '');
    li.dataset.seq = String(m.seq);
    li.id = `m${m.seq}`;
    const meta = document.createElement('p');
    meta.className = 'meta';
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = mine ? root.dataset.you : m.sender_name;
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = when.format(new Date(m.sent_at));
    meta.append(sender, ' ', time);
    let text;
    if (m.file) {
      text = fileCard(m.file, root.dataset.lang);
    } else {
      text = document.createElement('div');
      text.className = 'body';
      m.body.split('\n').forEach((line, i) => {
        if (i > 0) text.append(document.createElement('br'));
        text.append(line);
      });
    }
    li.append(meta, text);
    if (mine) {
      const status = document.createElement('p');
      status.className = 'status';
      status.textContent = root.dataset.sent;
      li.append(status);
    }
    list.append(li);
    li.scrollIntoView({ block: 'end' });
    lastSeq = Math.max(lastSeq, m.seq);
    if (document.visibilityState === 'visible' && socket) {
      socket.send(JSON.stringify({ type: 'read', conversation: current, seq: m.seq }));
    }
  };

  const linkTo = (conversation) => root.querySelector(`.conv-list a[href="/messenger/${conversation}"]`);

  // Conversations joined while the page was open, with the position their unread count
  // (from the server) already covers.
  const announced = {};

  const bump = (conversation, seq) => {
    if (conversation === current) return;
    if (seq <= (announced[conversation] || 0)) return;
    const link = linkTo(conversation);
    if (!link) return;
    let badge = link.querySelector('.unread');
    const n = (badge ? Number(badge.dataset.n || '0') : 0) + 1;
    if (!badge) {
      badge = document.createElement('span');
      badge.className = 'unread';
      link.querySelector('.conv-title').after(badge);
    }
    badge.dataset.n = String(n);
    badge.textContent = root.dataset.unread.replace('{n}', String(n));
  };

  // Newest first: a conversation with a new message moves to the top of the list.
  const toTop = (conversation, at) => {
    const link = linkTo(conversation);
    if (!link) return;
    const li = link.closest('li');
    if (li.parentElement.firstElementChild !== li) li.parentElement.prepend(li);
    const time = link.querySelector('.conv-time');
    if (time && at) time.textContent = when.format(new Date(at));
  };

  // A conversation this user joined while the page was open goes to the top of the list (when
  // it matches the list's filter, as the server would have it).
  const addConversation = (c) => {
    if (linkTo(c.id)) return;
    announced[c.id] = c.last_seq;
    const q = document.getElementById('q');
    const filter = q ? q.value.trim().toLowerCase() : '';
    if (filter && !c.title.toLowerCase().includes(filter)) return;
    const section = root.querySelector('section.conversations');
    let ul = root.querySelector('ul.conv-list');
    if (!ul) {
      ul = document.createElement('ul');
      ul.className = 'conv-list';
      ul.setAttribute('aria-label', root.dataset.listLabel);
      const empty = section.querySelector(':scope > p');
      if (empty) empty.replaceWith(ul); else section.append(ul);
    }
    const a = document.createElement('a');
    a.href = `/messenger/${c.id}`;
    const title = document.createElement('span');
    title.className = 'conv-title';
    title.textContent = c.title;
    a.append(title);
    if (c.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.dataset.n = String(c.unread);
      badge.textContent = root.dataset.unread.replace('{n}', String(c.unread));
      a.append(badge);
    }
    const time = document.createElement('span');
    time.className = 'conv-time';
    time.textContent = when.format(new Date(c.last_activity));
    a.append(time);
    const li = document.createElement('li');
    li.append(a);
    ul.prepend(li);
  };

  const connect = () => {
    socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    root.dataset.live = 'connecting';
    socket.addEventListener('open', () => {
      retry = 1000;
      const after = {};
      if (current) after[current] = lastSeq;
      socket.send(JSON.stringify({ type: 'hello', after }));
    });
    socket.addEventListener('message', (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      if (f.type === 'ready') root.dataset.live = 'open';
      else if (f.type === 'read' && f.conversation === current && list) {
        list.querySelectorAll('li.message.mine').forEach((li) => {
          const status = li.querySelector('.status');
          if (status && Number(li.dataset.seq) <= f.up_to) status.textContent = root.dataset.read;
        });
      }
      else if (f.type === 'conversation') addConversation(f);
      else if (f.type === 'message') {
        show(f);
        if (f.sender !== root.dataset.me) bump(f.conversation, f.seq);
        toTop(f.conversation, f.sent_at);
      }
      else if (f.type === 'ack' && pending && f.client_id === pending.clientId) {
        clearTimeout(pending.timer);
        // What was typed meanwhile (the next message) stays.
        if (body.value === pending.text) body.value = '';
        pending = null;
        clientField.value = newClientId();
        form.querySelector('button[type=submit]').disabled = false;
        body.focus();
      } else if (f.type === 'error' && pending && f.client_id === pending.clientId) {
        // The server refused it (empty, too long): the form shows the message the usual way.
        clearTimeout(pending.timer);
        pending = null;
        form.submit();
      }
    });
    socket.addEventListener('close', () => {
      root.dataset.live = 'closed';
      socket = null;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  };

  if (form && body && clientField && current) {
    form.addEventListener('submit', (e) => {
      if (!socket || socket.readyState !== WebSocket.OPEN || root.dataset.live !== 'open' || pending) return;
      e.preventDefault();
      if (body.value.trim() === '') return;
      form.querySelector('button[type=submit]').disabled = true;
      const clientId = clientField.value;
      // No acknowledgement in time: send the form itself; its client id makes it count once.
      pending = { clientId, text: body.value, timer: setTimeout(() => { pending = null; form.submit(); }, 10000) };
      socket.send(JSON.stringify({ type: 'send', conversation: current, client_id: clientId, body: body.value }));
    });
  }
  connect();
}

// A file size as the server writes it (units of 1024): "840 bytes", "12 kB", "1,5 MB".
function fileSize(lang, bytes) {
  const units = [[2 ** 30, 'GB'], [2 ** 20, 'MB'], [2 ** 10, 'kB']];
  for (const [unit, name] of units) {
    if (bytes >= unit) {
      const tenths = Math.round((bytes * 10) / unit);
      const text = tenths >= 100 || tenths % 10 === 0 ? String(Math.round(tenths / 10))
        : `${Math.floor(tenths / 10)}${lang === 'en' ? '.' : ','}${tenths % 10}`;
      return `${text} ${name}`;
    }
  }
  return `${bytes} bytes`;
}

// The card of a file that arrived live: a preview for images, name, kind and size, download.
function fileCard(f, lang) {
  const box = document.getElementById('attach');
  const d = box ? box.dataset : {};
  const inline = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'].includes(f.content_type);
  const card = document.createElement('div');
  card.className = 'file-card';
  if (f.kind === 'image' && inline) {
    const a = document.createElement('a');
    a.href = `/files/${f.id}`;
    a.target = '_blank';
    a.rel = 'noopener';
    a.className = 'preview';
    const img = document.createElement('img');
    img.src = `/files/${f.id}`;
    img.alt = f.name;
    a.append(img);
    card.append(a);
  }
  const name = document.createElement('p');
  name.className = 'file-name';
  name.textContent = f.name;
  const meta = document.createElement('p');
  meta.className = 'file-meta';
  const kinds = { image: d.kindImage, pdf: d.kindPdf, document: d.kindDocument, other: d.kindOther };
  meta.textContent = `${kinds[f.kind] || d.kindOther || ''}, ${fileSize(lang, f.size)}`;
  const actions = document.createElement('p');
  actions.className = 'file-actions';
  const link = (href, label, extra) => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = label;
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ` ${f.name}`;
    a.append(hidden);
    Object.assign(a, extra);
    return a;
  };
  const download = link(`/files/${f.id}?download=1`, d.download || 'Download', {});
  download.setAttribute('download', '');
  actions.append(download);
  if (inline) {
    const open = link(`/files/${f.id}`, d.open || 'Open', { target: '_blank', rel: 'noopener' });
    open.querySelector('.visually-hidden').textContent += ` ${d.newWindow || ''}`;
    actions.append(' · ', open);
  }
  card.append(name, meta, actions);
  return card;
}

// The paperclip: one or more files, each with a progress bar and a cancel button; files
// dropped on the conversation go the same way. Without a live socket the page reloads to show
// the file.
function attachments() {
  const box = document.getElementById('attach');
  if (!box || !window.XMLHttpRequest) return;
  const d = box.dataset;
  const input = document.getElementById('file-input');
  const button = document.getElementById('attach-button');
  const list = document.getElementById('uploads');
  const status = document.getElementById('upload-status');
  const root = document.getElementById('messenger');
  const max = Number(d.max);
  box.hidden = false;
  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.split(`{${k}}`).join(v), text);
  const newId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : Array.from({ length: 4 }, () => Math.random().toString(36).slice(2)).join(''));
  const problem = (li, text) => {
    li.replaceChildren();
    li.className = 'upload failed';
    const p = document.createElement('p');
    p.className = 'alert error';
    p.setAttribute('role', 'alert');
    p.textContent = text;
    li.append(p);
  };
  const send = (file) => {
    const li = document.createElement('li');
    li.className = 'upload';
    list.append(li);
    if (file.size > max) {
      problem(li, fill(d.tooLarge, { name: file.name, max: d.maxText }));
      return;
    }
    const label = document.createElement('span');
    label.className = 'upload-name';
    label.textContent = fill(d.uploading, { name: file.name });
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', `${d.progress} ${file.name}`);
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'button secondary small';
    cancel.textContent = d.cancel;
    cancel.setAttribute('aria-label', `${d.cancel} ${file.name}`);
    li.append(label, bar, cancel);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/messenger/${d.conversation}/files?client_id=${newId()}`);
    xhr.setRequestHeader('X-CSRF-Token', d.csrf);
    // The name travels in a header, not the URL: it stays out of access logs.
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name));
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) bar.value = Math.floor((e.loaded * 100) / e.total);
    });
    xhr.addEventListener('load', () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch { answer = {}; }
      // Stored only when the server says so: a redirect (signed out, locked) is no answer.
      if ((xhr.status === 200 || xhr.status === 201) && typeof answer.seq === 'number') {
        li.remove();
        status.textContent = answer.message || '';
        if (root.dataset.live !== 'open') location.reload();
      } else {
        problem(li, answer.message || fill(d.failed, { name: file.name }));
      }
    });
    xhr.addEventListener('error', () => problem(li, fill(d.failed, { name: file.name })));
    cancel.addEventListener('click', () => {
      xhr.abort();
      li.remove();
      status.textContent = fill(d.cancelled, { name: file.name });
      button.focus();
    });
    xhr.send(file);
  };
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    Array.from(input.files || []).forEach(send);
    input.value = '';
  });
  const zone = root.querySelector('section.conversation');
  if (zone) {
    zone.addEventListener('dragover', (e) => {
      if (!e.dataTransfer || !Array.from(e.dataTransfer.types || []).includes('Files')) return;
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', (e) => {
      if (!zone.contains(e.relatedTarget)) zone.classList.remove('dragging');
    });
    zone.addEventListener('drop', (e) => {
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      zone.classList.remove('dragging');
      Array.from(e.dataTransfer.files).forEach(send);
    });
  }
}

// At phone width the side menu folds away behind a "Menu" button, so the conversation comes
// first; without JavaScript it simply stays open.
function menuToggle() {
  const nav = document.getElementById('side-menu');
  if (!nav || !window.matchMedia) return;
  const button = nav.querySelector('.menu-toggle');
  const list = document.getElementById('side-menu-list');
  const phone = window.matchMedia('(max-width: 48rem)');
  const set = (open) => {
    button.setAttribute('aria-expanded', String(open));
    list.hidden = !open;
  };
  const apply = () => {
    button.hidden = !phone.matches;
    set(!phone.matches);
  };
  button.addEventListener('click', () => set(button.getAttribute('aria-expanded') !== 'true'));
  phone.addEventListener('change', apply);
  apply();
}

// Installable: the service worker keeps only the static files (see /sw.js).
function serviceWorker() {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
}

// "Print de back-upcodes", "Afdrukken": buttons that print the page (hidden without script).
function printCodes() {
  for (const button of document.querySelectorAll('#print-codes, [data-print]')) {
    button.hidden = false;
    button.addEventListener('click', () => window.print());
  }
}

document.addEventListener('DOMContentLoaded', () => {
  printCodes();
  passwordChecklist();
  countdown();
  focusErrors();
  composer();
  passkeys();
  appLock();
  liveMessenger();
  attachments();
  menuToggle();
  serviceWorker();
});
