/**
 * The dashboard's stylesheet, served as a file so the Content-Security-Policy can forbid inline
 * styles. Light and dark follow the system unless the toggle picked one.
 */
export const STYLES = `
:root{--bg:#f7f7f8;--panel:#fff;--text:#1d1d22;--muted:#6b6b76;--line:#e3e3e8;--accent:#4f46e5;
--ok:#15803d;--bad:#c81e1e;--warn:#b45309;--info:#1d4ed8;--idle:#6b7280;--code:#f1f1f4;
--font:ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color-scheme:light}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#121216;--panel:#1b1b21;--text:#e8e8ee;
--muted:#9a9aa6;--line:#2c2c35;--accent:#8b85ff;--ok:#4ade80;--bad:#f87171;--warn:#fbbf24;--info:#60a5fa;
--idle:#9ca3af;--code:#23232b;color-scheme:dark}}
:root[data-theme=dark]{--bg:#121216;--panel:#1b1b21;--text:#e8e8ee;--muted:#9a9aa6;--line:#2c2c35;
--accent:#8b85ff;--ok:#4ade80;--bad:#f87171;--warn:#fbbf24;--info:#60a5fa;--idle:#9ca3af;--code:#23232b;color-scheme:dark}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 var(--font)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:24px;padding:10px 24px;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;font-size:16px;color:var(--text);letter-spacing:.2px}
header.top nav{display:flex;gap:16px;flex:1}
header.top nav a{color:var(--muted);font-weight:500}header.top nav a.here{color:var(--text)}
main{max-width:1280px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:20px;margin:0 0 4px}h1.mono{font-size:17px}h2{font-size:15px;margin:24px 0 8px}
.sub{color:var(--muted);margin:0 0 16px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:16px}
table{width:100%;border-collapse:collapse;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.4px}
tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:var(--mono);font-size:12.5px}
pre{font-family:var(--mono);font-size:12.5px;background:var(--code);padding:10px 12px;border-radius:6px;overflow:auto;max-height:420px;margin:6px 0;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.s-completed{color:var(--ok)}.s-failed{color:var(--bad)}.s-cancelled,.s-skipped,.s-expired{color:var(--idle)}
.s-running,.s-queued,.s-scheduled{color:var(--info)}.s-sleeping,.s-waiting,.s-retrying,.s-open,.s-paused,.s-draining{color:var(--warn)}
.token-form{display:flex;gap:8px;align-items:flex-end;flex-wrap:wrap}.token-form textarea{min-width:280px}
.token-url{word-break:break-all}
.tag{display:inline-block;margin:0 4px 2px 0;padding:0 6px;border:1px solid var(--line,#ccc);border-radius:4px;font-size:12px}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 12px}
.counts a{display:flex;gap:6px;align-items:center;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--text)}
.counts a.on{border-color:var(--accent)}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:12px}
label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:var(--muted)}
input,select,textarea,button{font:inherit;color:var(--text);background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:5px 8px}
textarea{font-family:var(--mono);font-size:12.5px;width:100%;min-height:120px}
button,.button{cursor:pointer;background:var(--accent);color:#fff;border-color:var(--accent);font-weight:600;padding:5px 12px;border-radius:6px}
button.plain{background:var(--panel);color:var(--text);border-color:var(--line)}
button.danger{background:var(--bad);border-color:var(--bad)}
.actions{display:flex;gap:8px;flex-wrap:wrap;align-items:center}.actions form{margin:0}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px 24px;margin:0}
.meta dt{font-size:12px;color:var(--muted)}.meta dd{margin:0;word-break:break-all}
.notice{padding:8px 12px;border-radius:6px;border:1px solid var(--line);background:var(--panel);margin-bottom:12px}
.notice.error{border-color:var(--bad);color:var(--bad)}
.pager{display:flex;gap:12px;justify-content:flex-end;margin-top:10px}
.live{font-size:12px;color:var(--muted)}.live.on::before{content:"● ";color:var(--ok)}.live.off::before{content:"● ";color:var(--idle)}
.wf{display:grid;grid-template-columns:minmax(140px,220px) 1fr 80px;gap:4px 12px;align-items:center}
.wf .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.wf .dur{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums}
.wf svg{width:100%;height:16px;display:block;background:var(--code);border-radius:3px}
.seg-ok{fill:var(--ok)}.seg-failed{fill:var(--bad)}.seg-backoff{fill:var(--bad);opacity:.25}
.seg-sleep{fill:var(--warn);opacity:.45}.seg-wait{fill:var(--info);opacity:.45}.seg-running{fill:var(--info)}.seg-queued{fill:var(--idle);opacity:.4}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin-top:8px}.legend svg{width:10px;height:10px;vertical-align:-1px}
details>summary{cursor:pointer}details.step{border-bottom:1px solid var(--line);padding:6px 0}
.muted{color:var(--muted)}.err{color:var(--bad)}
.logs{list-style:none;padding:0;margin:.25rem 0;font-size:.85rem}.logs li{padding:.1rem 0;overflow-wrap:anywhere}.log-warn .mono{color:var(--warn)}.log-error .mono{color:var(--bad)}
.login{max-width:360px;margin:12vh auto}.login form{display:flex;flex-direction:column;gap:12px}
.seg-projected{opacity:.18;stroke:currentColor;stroke-dasharray:3 2;stroke-width:.5}
@media (max-width:640px){
header.top{flex-wrap:wrap;gap:6px 16px;padding:8px 12px}header.top nav{flex-wrap:wrap;gap:6px 12px;flex-basis:100%;order:3}
main{padding:12px 12px 32px}
table,thead,tbody,tr,th,td{display:block}thead{display:none}table{border-radius:8px}
tr{padding:8px 10px;border-bottom:1px solid var(--line)}tr:last-child{border-bottom:0}
td{border:0;padding:2px 0;overflow-wrap:anywhere}td.num{text-align:left}
.wf{grid-template-columns:1fr 64px;grid-auto-flow:row dense;gap:2px 8px}.wf svg{grid-column:1/-1;margin-bottom:6px}
.meta{grid-template-columns:1fr 1fr}.token-form textarea{min-width:0}
input,select,textarea{max-width:100%}
}
`;
