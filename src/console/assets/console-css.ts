/** The console's stylesheet, served at /console/assets/console.css (from the package: no CDN, works offline). */
export const consoleCss = `
:root{--fg:#1b1f24;--muted:#555e69;--line:#d0d7de;--bg:#fff;--head:#f3f5f7;--accent:#1f5fa8;--bad:#a11d1d;--good:#14652d}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.5rem 1rem;background:#16202c;color:#fff}
header a{color:#fff;text-decoration:none}
.brand{font-weight:700;font-size:1.05rem}.brand span{font-weight:400;color:#c9d4df}
nav{display:flex;flex:1;align-items:center;gap:1rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
nav a{display:block;padding:.3rem .6rem;border-radius:4px}
nav a:hover,nav a:focus{background:#2b3a4b}
nav a[aria-current=page]{background:#fff;color:#16202c;font-weight:600}
.signout{margin-left:auto;display:flex;gap:.5rem;align-items:center;color:#c9d4df}
main{padding:1rem 1.5rem;max-width:1400px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:.8rem 0 .4rem}
a{color:var(--accent)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--head);border:1px solid var(--line);padding:.6rem;overflow:auto;max-height:32rem;white-space:pre-wrap;word-break:break-word}
table.data{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
table.data thead th{background:var(--head);position:sticky;top:0}
table.data tbody th{font-weight:600}
caption{text-align:left;color:var(--muted);padding:.3rem 0}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
.error-text{color:var(--bad)}
.error-box{border:1px solid var(--bad);background:#fdecec;color:#6b0f0f;padding:.6rem;margin:.5rem 0}
.note{border-left:4px solid var(--accent);background:#eef4fb;padding:.5rem .8rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;font-weight:600;background:#e6e9ed;color:#1b1f24}
.badge.up,.badge.run-completed,.badge.outcome-ok,.badge.key-active,.badge.pin-pinned,.badge.pin-approved{background:#d3f1dc;color:#0b4d20}
.badge.down,.badge.run-failed,.badge.key-revoked,.badge.pin-blocked,.badge.run-interrupted{background:#fbdada;color:#7a1111}
.badge.run-running,.badge.pin-changed,.badge.pin-new{background:#fff0c2;color:#5c4100}
.tag{display:inline-block;border:1px solid var(--line);border-radius:3px;padding:0 .3rem;margin-right:.2rem;font-size:12px}
.score{font-family:ui-monospace,monospace;background:#e8eef7;color:#123a66;padding:0 .3rem;border-radius:3px}
form.inline{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.5rem 0}
form.stacked .field,#try-it .field{display:flex;flex-direction:column;gap:.2rem;margin:.4rem 0;max-width:34rem}
input,select,textarea,button{font:inherit}
input,select,textarea{border:1px solid #8c959f;border-radius:4px;padding:.25rem .4rem;background:#fff;color:var(--fg)}
button{border:1px solid #1f4f8a;background:var(--accent);color:#fff;border-radius:4px;padding:.25rem .7rem;cursor:pointer}
button:hover{background:#17487f}
.actions button{background:#fff;color:var(--accent);border-color:#8c959f;padding:.1rem .45rem}
:focus-visible{outline:3px solid #f0a500;outline-offset:1px}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1rem}
.results{border:1px solid var(--line);border-radius:6px;padding:.4rem .8rem}
ol.ranked{padding-left:1.4rem;margin:.3rem 0}ol.ranked li{margin:.3rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
ul.names{columns:3 16rem;padding-left:1.2rem}
figure{margin:.5rem 0 1rem;overflow-x:auto}figcaption{color:var(--muted);font-size:13px}
svg .grid{stroke:#e1e4e8}svg .tick{font-size:11px;fill:#555e69}svg .label{font-size:12px;fill:#1b1f24;font-family:ui-monospace,monospace}
#timeline rect{fill:#1f5fa8}#timeline .model-turn rect{fill:#7a4a9e}#timeline .tool-call rect{fill:#0f6f73}#timeline .parallel rect,#timeline .map rect{fill:#9fb7d4}
#timeline .failed rect{fill:#a8321f}#timeline .running rect{fill:#8a6100}
.key{display:inline-block;padding:0 .35rem;color:#fff;border-radius:3px;font-size:12px}.key.call{background:#1f5fa8}.key.model-turn{background:#7a4a9e}.key.failed{background:#a8321f}.key.running{background:#8a6100}
ul.legend{display:flex;flex-wrap:wrap;gap:.8rem;list-style:none;padding:0}.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle}
.s0{background:#1f5fa8}.s1{background:#a8321f}.s2{background:#2d7a3a}.s3{background:#7a4a9e}.s4{background:#8a6100}.s5{background:#0f6f73}.s6{background:#5c5c5c}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
details{margin:.4rem 0}summary{cursor:pointer}
`;
