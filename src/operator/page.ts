import { FLAG_NAMES } from '../flags/keys.js';
import { formatCallers } from '../lifecycle/gates.js';
import type { OperatorView } from './view.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The answer to a flag change made from the page: the admin API's own (200, or the guardrail's 409). */
export interface ChangeOutcome {
  ok: boolean;
  status: number;
  message: string;
  details?: string[];
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:12px 20px}
header h1{font-size:18px;margin:0}
main{padding:12px 20px;max-width:1400px}
section{background:#fff;border:1px solid #d8dce1;border-radius:6px;margin:12px 0;padding:10px 14px}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
th{font-weight:600;color:#57606a;font-size:12px;text-transform:uppercase}
.stage{font-size:20px;font-weight:700}
.b{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.b-legacy{background:#fff1c2;color:#7a5300}.b-nextgen{background:#cfe8ff;color:#00457a}
.b-gateway{background:#e6e8eb;color:#333}.b-none{background:#ffd7d5;color:#8a1111}
.b-active{background:#dcf5e0;color:#135e23}.b-deprecated{background:#fff1c2;color:#7a5300}.b-removed{background:#e6e8eb;color:#555}
.ok{color:#135e23}.bad{color:#a40e26;font-weight:600}.muted{color:#6a737d}
.msg{padding:8px 12px;border-radius:6px;margin:12px 0}.msg-ok{background:#dcf5e0}.msg-bad{background:#ffd7d5}
form.inline{display:flex;gap:8px;flex-wrap:wrap;align-items:end}
ul.gates{margin:0;padding-left:16px}.gap{margin-top:10px}form.logout{display:inline}
label{display:flex;flex-direction:column;font-size:12px;color:#57606a}
input,select,button{font:inherit;padding:3px 6px}
`;

function badge(kind: string, text: string = kind): string {
  const cls = ['legacy', 'nextgen', 'gateway', 'active', 'deprecated', 'removed'].includes(kind) ? kind : 'none';
  return `<span class="b b-${cls}">${esc(text)}</span>`;
}

function backendBadges(backend: string): string {
  return backend
    .split('+')
    .map((b) => badge(b))
    .join(' ');
}

function countdown(expiresAt: string | null | undefined, now: number): string {
  if (!expiresAt) return '<span class="muted">never (default)</span>';
  const ms = Date.parse(expiresAt);
  const left = Math.max(0, Math.round((ms - now) / 1000));
  return `<span class="countdown" data-expires="${esc(ms)}">${esc(formatSeconds(left))}</span>`;
}

export function formatSeconds(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(part === whole ? 0 : 1)}%`;
}

function page(title: string, body: string, nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style nonce="${esc(nonce)}">${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(nonce: string, message?: string): string {
  return page(
    'zpe-gateway operator login',
    `<header><h1>zpe-gateway · operator</h1></header><main><section><h2>Sign in with the admin token</h2>
${message ? `<p class="bad" id="login-error">${esc(message)}</p>` : ''}
<form method="post" action="/_gateway/login" class="inline">
<label>admin token (ZPE_ADMIN_TOKEN)<input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
<p class="muted">The page keeps a session cookie (8 h, this page only) derived from the token, never the token itself. Changing a flag asks for the token again.</p>
</section></main>`,
    nonce,
  );
}

function operationsTable(view: OperatorView): string {
  const rows = view.operations.map((op) => {
    const life =
      op.lifecycle.state === 'deprecated'
        ? `${badge('deprecated')} <span class="muted">sunset ${esc(op.lifecycle.sunset)}</span>`
        : op.lifecycle.state === 'removed'
          ? `${badge('removed')} <span class="muted">${esc(op.lifecycle.closedAt)}</span>`
          : badge('active');
    const traffic = Object.entries(op.traffic);
    const requests =
      traffic.map(([backend, t]) => `${badge(backend)} ${t.requests}`).join(' ') || '<span class="muted">none</span>';
    const total = traffic.reduce((n, [, t]) => n + t.requests, 0);
    const errors5 = traffic.reduce((n, [, t]) => n + t.serverErrors, 0);
    const errors4 = traffic.reduce((n, [, t]) => n + t.clientErrors, 0);
    const errors =
      total === 0
        ? '<span class="muted">–</span>'
        : `<span class="${errors5 > 0 ? 'bad' : 'ok'}">5xx ${percent(errors5, total)}</span> <span class="muted">4xx ${percent(errors4, total)}</span>`;
    const p = op.parity;
    const parity = p
      ? `<span class="${p.compared > 0 && p.matched === p.compared ? 'ok' : 'bad'}">${p.matched}/${p.compared} ${percent(p.matched, p.compared)}</span>` +
        (p.missing_on_legacy + p.missing_on_nextgen + p.failed > 0
          ? ` <span class="muted">(missing on legacy ${p.missing_on_legacy}, on next-gen ${p.missing_on_nextgen}, failed ${p.failed})</span>`
          : '')
      : '<span class="muted">–</span>';
    const violations = op.violations > 0 ? ` <span class="bad">${op.violations} contract violations</span>` : '';
    const route = op.route.unavailable
      ? `${badge('none', '503')} <span class="bad">${esc(op.route.unavailable)}</span>`
      : backendBadges(op.route.backend);
    return `<tr data-operation="${esc(op.id)}"><td><b>${esc(op.id)}</b><br><span class="muted">${esc(op.label)}</span></td>
<td>${life}</td><td class="backend-now" data-backend="${esc(op.route.unavailable ? 'none' : op.route.backend)}">${route}</td>
<td class="muted">${esc(op.route.why)}</td><td>${requests}</td><td>${errors}</td><td>${parity}${violations}</td></tr>`;
  });
  return `<section id="operations"><h2>Operations: where each one goes now</h2><table>
<tr><th>operation</th><th>lifecycle</th><th>backend now</th><th>why</th><th>requests (${view.trafficMinutes} min, this instance)</th><th>errors</th><th>parity (${view.evidenceScope === 'fleet' ? 'fleet' : 'this instance'}, 24 h)</th></tr>
${rows.join('\n')}</table></section>`;
}

function flagsSection(view: OperatorView): string {
  const { state, at } = view;
  const rows = FLAG_NAMES.map((name) => {
    const r = state.records[name];
    return `<tr data-flag="${esc(name)}"><td><b>${esc(name)}</b></td><td class="flag-value">${esc(r.value)}</td>
<td>${r.source === 'set' ? 'set' : '<span class="muted">default</span>'}</td><td>${esc(r.actor ?? '')}</td><td>${esc(r.reason ?? '')}</td>
<td>${r.source === 'set' ? countdown(r.expires_at, at) : '<span class="muted">–</span>'}</td></tr>`;
  });
  for (const [op, pin] of Object.entries(state.overrides)) {
    if (!pin) continue;
    rows.push(`<tr><td><b>pin ${esc(op)}</b></td><td>${badge(pin.backend)}</td><td>set</td><td>${esc(pin.actor)}</td>
<td>${esc(pin.reason)}</td><td>${countdown(pin.expires_at, at)}</td></tr>`);
  }
  for (const [flag, rollout] of Object.entries(state.rollouts)) {
    if (!rollout) continue;
    const value = rollout.tripped
      ? `<span class="bad">rolled back automatically ${esc(rollout.tripped.at)}: ${esc(rollout.tripped.guard)}</span>`
      : `${esc(rollout.percent)}% of users to ${esc(rollout.target)}`;
    rows.push(`<tr data-rollout="${esc(flag)}"><td><b>rollout ${esc(flag)}</b></td><td>${value}</td><td>set</td>
<td>${esc(rollout.actor)}</td><td>${esc(rollout.reason)}</td><td>${countdown(rollout.expires_at, at)}</td></tr>`);
  }
  if (state.shadow) {
    const s = state.shadow;
    rows.push(`<tr><td><b>shadow_sample_rate</b></td><td>${esc(s.sample_rate)}</td><td>set</td><td>${esc(s.actor)}</td>
<td>${esc(s.reason)}</td><td>${countdown(s.expires_at, at)}</td></tr>`);
  }
  const choices = [
    ...FLAG_NAMES.flatMap((name) => {
      const values =
        name === 'submission_route'
          ? ['redis-worker', 'next-gen']
          : name === 'result_read_source'
            ? ['redis', 'projection']
            : ['true', 'false'];
      return values.map((v) => `${name}=${v}`);
    }),
    ...['0', '0.01', '0.1', '1'].map((v) => `shadow_sample_rate=${v}`),
  ];
  const bar = view.parityBar;
  return `<section id="flags"><h2>Flags <span class="muted">version ${esc(state.version)}${view.flagsStale ? ' · <span class="bad">flag store unreachable: cached values</span>' : ''}</span></h2>
<table><tr><th>flag</th><th>value</th><th>source</th><th>set by</th><th>why</th><th>expires in</th></tr>${rows.join('\n')}</table>
<h2 class="gap">Change a flag</h2>
<form method="post" action="/_gateway/flags" class="inline" id="change">
<label>change<select name="change">${choices.map((c) => `<option>${esc(c)}</option>`).join('')}</select></label>
<label>reason<input name="reason" required maxlength="200" placeholder="GRA-22 stage 1"></label>
<label>for (seconds)<input name="ttl_seconds" type="number" min="1" value="3600"></label>
<label>who<input name="actor" maxlength="100" placeholder="jane"></label>
<label>admin token<input name="token" type="password" required autocomplete="current-password"></label>
<button type="submit">Apply</button></form>
<p class="muted">Forward steps follow the plan's order and the guardrails (reads need shadow parity of ${esc(bar.minSamples)} samples at ${esc((bar.minRatio * 100).toFixed(1))}%); a refusal is shown as the admin API answers it. Forcing is deliberately not offered here: use the API with <code>force</code> and a reason.</p>
</section>`;
}

function checklistSection(view: OperatorView): string {
  const items = view.checklist.map(({ item, gates }) => {
    const state =
      item.state === 'closed'
        ? `<span class="ok">closed ${esc(item.closed_at)}</span>${item.forced ? ' <span class="bad">forced</span>' : ''}`
        : gates.every((g) => g.met)
          ? '<span class="ok">open · gates met</span>'
          : `open · <span class="bad">${gates.filter((g) => !g.met).length} gate(s) not met</span>`;
    const gateList = gates
      .map((g) => `<li class="${g.met ? 'ok' : 'bad'}">${g.met ? '✓' : '✗'} ${esc(g.detail)}</li>`)
      .join('');
    const ops = item.operations.map((o) => esc(o.operation)).join(', ');
    return `<tr data-item="${esc(item.id)}"><td><b>${esc(item.id)}</b><br><span class="muted">${esc(item.text)}</span></td><td>${state}</td>
<td>${gateList ? `<ul class="gates">${gateList}</ul>` : ''}</td><td class="muted">${ops}</td></tr>`;
  });
  const deprecated = view.operations.filter((o) => o.lifecycle.state === 'deprecated');
  const callerRows = deprecated.map((op) => {
    const counts = view.callers?.[op.id];
    const text =
      view.callers === undefined
        ? '<span class="bad">unknown: caller counts unreachable</span>'
        : counts && Object.keys(counts).length > 0
          ? `<span class="bad">${esc(formatCallers(counts))}</span>`
          : '<span class="ok">none</span>';
    return `<tr data-callers="${esc(op.id)}"><td>${esc(op.id)}</td><td>${text}</td></tr>`;
  });
  return `<section id="checklist"><h2>Retirement checklist</h2>
<table><tr><th>item</th><th>state</th><th>gates</th><th>operations</th></tr>${items.join('\n')}</table>
<p class="muted">Module and Redis-audit gates read the sources: see <code>npx zpe-gateway retire audit</code> in CI.</p>
<h2>Callers still using deprecated operations (last 7 days)</h2>
<table><tr><th>operation</th><th>callers</th></tr>${callerRows.join('\n') || '<tr><td colspan="2" class="muted">no deprecated operation</td></tr>'}</table></section>`;
}

const COUNTDOWN_SCRIPT = `
for (const el of document.querySelectorAll('.countdown')) {
  const at = Number(el.dataset.expires);
  const tick = () => {
    const s = Math.max(0, Math.round((at - Date.now()) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    el.textContent = s === 0 ? 'expired: reload' : h > 0 ? h + 'h ' + m + 'm' : m > 0 ? m + 'm ' + (s % 60) + 's' : s + 's';
  };
  setInterval(tick, 1000);
}`;

/** The operator page: the migration's state first, then per operation, flags, checklist and callers. */
export function operatorPage(view: OperatorView, nonce: string, outcome?: ChangeOutcome): string {
  const banner = outcome
    ? `<div class="msg ${outcome.ok ? 'msg-ok' : 'msg-bad'}" id="outcome"><b>${outcome.ok ? 'Applied' : `Refused (${esc(outcome.status)})`}:</b> ${esc(outcome.message)}${
        outcome.details && outcome.details.length > 0
          ? `<ul>${outcome.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`
          : ''
      }</div>`
    : '';
  const backends =
    view.backends
      .map(
        (b) =>
          `${badge(b.name)} <span class="${b.healthy ? 'ok' : 'bad'}">${b.healthy ? 'healthy' : esc(b.detail)}</span> <span class="muted">(${esc(b.kind)})</span>`,
      )
      .join(' &nbsp; ') || '<span class="bad">no backend configured</span>';
  const body = `<header><h1>zpe-gateway · operator</h1></header><main>${banner}
<section id="summary"><div class="stage" id="stage">${esc(view.stage.name)}</div><div>${esc(view.stage.detail)}</div>
<div class="muted">next: ${esc(view.stage.next ?? 'none: every flagged path is on next-gen')}</div>
<div class="gap">backends: ${backends}</div>
<div class="muted">as of ${esc(new Date(view.at).toISOString())} · flags version ${esc(view.state.version)}
<form method="post" action="/_gateway/logout" class="logout"><button type="submit">sign out</button></form></div></section>
${operationsTable(view)}${flagsSection(view)}${checklistSection(view)}</main>
<script nonce="${esc(nonce)}">${COUNTDOWN_SCRIPT}</script>`;
  return page('zpe-gateway operator', body, nonce);
}
