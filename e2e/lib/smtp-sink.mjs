// A small SMTP server for the tests: speaks real SMTP over TCP (EHLO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT), keeps every message and parses its MIME parts. Spreekuur delivers to it as it
// would to any relay.
import net from 'node:net';

function decodeQP(s) {
  return Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

function decodeWords(v) {
  return v.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g, (_, _cs, enc, text) =>
    enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeQP(text.replace(/_/g, ' ')),
  );
}

function parseHeaders(block) {
  const headers = {};
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return headers;
}

function splitPart(raw) {
  const m = raw.match(/\r?\n\r?\n/);
  if (!m) return { headers: parseHeaders(raw), body: '' };
  return { headers: parseHeaders(raw.slice(0, m.index)), body: raw.slice(m.index + m[0].length) };
}

function decodeBody(headers, body) {
  const enc = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQP(body);
  return body;
}

export function parseMessage(raw) {
  const { headers, body } = splitPart(raw);
  const msg = { raw, headers, text: null, html: null, parts: [] };
  const walk = (h, b) => {
    const type = (h['content-type'] || 'text/plain').toLowerCase();
    const boundary = /boundary="?([^";]+)"?/i.exec(h['content-type'] || '');
    if (type.startsWith('multipart/') && boundary) {
      for (const chunk of b.split('--' + boundary[1]).slice(1)) {
        if (chunk.startsWith('--')) break;
        const p = splitPart(chunk.replace(/^\r?\n/, ''));
        walk(p.headers, p.body);
      }
      return;
    }
    const content = decodeBody(h, b);
    msg.parts.push({ type, content });
    if (type.startsWith('text/plain') && msg.text === null) msg.text = content;
    if (type.startsWith('text/html') && msg.html === null) msg.html = content;
  };
  walk(headers, body);
  return msg;
}

export async function startSmtpSink() {
  const messages = [];
  const waiters = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('latin1');
    let buffer = '';
    let inData = false;
    let envelope = { from: null, to: [] };
    const reply = (line) => socket.write(line + '\r\n');
    reply('220 sink.test ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = Buffer.from(buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.'), 'latin1').toString('utf8');
          buffer = buffer.slice(end + 5);
          inData = false;
          const msg = { ...parseMessage(data), envelope };
          messages.push(msg);
          envelope = { from: null, to: [] };
          reply('250 2.0.0 queued');
          for (const w of waiters.splice(0)) w();
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') { reply('250-sink.test'); reply('250-8BITMIME'); reply('250 SIZE 10485760'); }
        else if (cmd === 'HELO') reply('250 sink.test');
        else if (cmd === 'MAIL') { envelope.from = line.slice(10).trim(); reply('250 2.1.0 ok'); }
        else if (cmd === 'RCPT') { envelope.to.push(line.slice(8).trim()); reply('250 2.1.5 ok'); }
        else if (cmd === 'DATA') { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
        else if (cmd === 'RSET') { envelope = { from: null, to: [] }; reply('250 ok'); }
        else if (cmd === 'NOOP') reply('250 ok');
        else if (cmd === 'QUIT') { reply('221 bye'); socket.end(); return; }
        else reply('502 5.5.2 not implemented');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}?tls=none`,
    messages,
    /** Waits (generously) for a message to `address` matching `pred`. */
    async waitFor(address, pred = () => true, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.filter((m) => (m.headers.to || '').toLowerCase().includes(address.toLowerCase()) && pred(m));
        if (found.length) return found[found.length - 1];
        if (Date.now() > deadline) throw new Error(`no e-mail to ${address} within ${timeoutMs} ms (got ${messages.length} in all)`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 250); });
      }
    },
    count(address) {
      return messages.filter((m) => (m.headers.to || '').toLowerCase().includes(address.toLowerCase())).length;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
