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

// "De webversie van de messenger zal automatisch voor je geopend worden in 9." counts down
// and opens the messenger; the patient can stop it or go at once.
function countdown() {
  const el = document.getElementById('countdown');
  if (!el) return;
  let left = Number(el.dataset.seconds || '9');
  const stop = document.getElementById('countdown-stop');
  const tick = () => {
    left -= 1;
    if (left <= 0) { window.location.assign(el.dataset.href); return; }
    el.textContent = el.dataset.template.replace('{n}', String(left));
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
  const last = document.querySelector('.messages li:last-child');
  if (last) last.scrollIntoView({ block: 'end' });
}

// "Print de back-upcodes".
function printCodes() {
  const button = document.getElementById('print-codes');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

document.addEventListener('DOMContentLoaded', () => {
  printCodes();
  passwordChecklist();
  countdown();
  focusErrors();
  composer();
});
