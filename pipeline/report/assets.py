"""The report's inline CSS and JavaScript, and the Content-Security-Policy that admits exactly them.

The page fetches nothing and runs only this script: the policy allows no source but the hashes of
the inline style and script (a log value that slipped through the escaping could not run), and
`data:` nothing. With scripts off the page still reads: every finding is a <details>, the filter
form stays hidden.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;
max-width:1240px;padding:1em 1.5em 4em;overflow-wrap:anywhere}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{margin:.6em 0 .3em}.muted{color:#666;font-weight:normal;font-size:.92em}nav a{margin-right:1em}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15em 1.2em;margin:.4em 0}
dl.facts dt{color:#666}dl.facts dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%;margin:.4em 0;table-layout:fixed}
th,td{text-align:left;padding:.2em .5em;border-bottom:1px solid #eee;vertical-align:top;
overflow-wrap:anywhere}
th{background:#f6f6f6}td.num{text-align:right;width:4.5em}
table.compact td.t{width:auto}table.compact td:nth-child(2):not(.num){width:6.5em}
table.events td:nth-child(1){width:11em}table.events td:nth-child(2){width:16em}
table.events td:nth-child(3){width:9em}table.events td:nth-child(5){width:8em}
.sev{display:inline-block;min-width:6.2em;padding:0 .4em;border-radius:3px;color:#fff;
font-weight:600;text-align:center;font-size:.9em}
.sev-Critical{background:#6d0f1f}.sev-High{background:#b8283c}.sev-Medium{background:#b96a17}
.sev-Low{background:#5b7fa6}
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{padding:.4em .9em;border-radius:4px;
background:#f2f2f2}.card.sev-Critical,.card.sev-High,.card.sev-Medium,.card.sev-Low{color:#fff}
.card.sev-Critical{background:#6d0f1f}.card.sev-High{background:#b8283c}
.card.sev-Medium{background:#b96a17}.card.sev-Low{background:#5b7fa6}
.card .n{font-size:1.5em;font-weight:700;margin-right:.2em}
.two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:2em}
@media (max-width:900px){.two{grid-template-columns:minmax(0,1fr)}}
ol.seqs li{margin:.3em 0}
.group{border-left:3px solid #ddd;padding:.1em 0 .3em .8em;margin:1em 0}
.group.seq{border-left-color:#6d0f1f;background:#fbf4f5}
.story{margin:.2em 0 .5em;max-width:72em}
details.f{border-bottom:1px solid #eee}
details.f>summary{cursor:pointer;padding:.25em 0;display:flex;flex-wrap:wrap;gap:.2em .7em;
align-items:baseline}
details.f>summary .type{font-weight:600}
details.f>summary .what{flex:1 1 28em;min-width:0}
details.f>summary .meta{color:#666;font-size:.88em;flex:1 1 100%;padding-left:7em}
details.f[open]>summary{background:#f7f7f7}
.body{padding:.3em 0 .8em 1em}
pre{background:#f7f7f7;padding:.8em;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;
max-height:32em;overflow-y:auto}
svg.chart{width:100%;height:auto;font-family:inherit}
.legend .key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
.legend .all{background:#7f9cc4}.legend .flagged{background:#d1495b}
form#filters{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center;position:sticky;top:0;
background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;z-index:1}
form#filters select{max-width:22em}
.hide{display:none}
td.k{color:#666;width:16em}
"""

# Filters and sorting, applied from the form and from the URL fragment (#severity=high&sort=time),
# so that a link can carry a view. Only data-* attributes are read, only classes and order set.
SCRIPT = """
(function(){
var RANK={critical:9,high:7,medium:4,low:0};
var form=document.getElementById('filters');if(!form)return;
var groups=document.getElementById('groups');
function state(){var s={};['severity','type','account','principal','sort'].forEach(function(k){
s[k]=form.elements[k].value;});return s;}
function fromHash(){var h=location.hash.slice(1);if(h.indexOf('=')<0)return;
h.split('&').forEach(function(kv){var p=kv.split('=');var el=form.elements[p[0]];
if(el)el.value=decodeURIComponent((p[1]||'').replace(/[+]/g,' '));});}
function keep(d,s){if(s.severity&&parseFloat(d.dataset.sev)<RANK[s.severity])return false;
if(s.type&&d.dataset.type!==s.type)return false;
if(s.account&&d.dataset.account!==s.account)return false;
if(s.principal&&d.dataset.principal.toLowerCase().indexOf(s.principal.toLowerCase())<0)
return false;return true;}
function key(el,by){if(by==='severity')return -parseFloat(el.dataset.sev);
if(by==='time')return el.dataset.time;return (el.dataset[by]||'').toLowerCase();}
function cmp(by){return function(a,b){var x=key(a,by),y=key(b,by);return x<y?-1:x>y?1:0;};}
function apply(){var s=state(),shown=0,total=0;
Array.prototype.forEach.call(groups.children,function(g){var n=0;
var items=Array.prototype.slice.call(g.querySelectorAll('details.f'));
items.forEach(function(d){total++;var k=keep(d,s);d.classList.toggle('hide',!k);
if(k){n++;shown++;}});g.classList.toggle('hide',n===0);
items.sort(cmp(s.sort)).forEach(function(d){g.appendChild(d);});});
var list=Array.prototype.slice.call(groups.children);
list.sort(function(a,b){var sa=a.classList.contains('seq'),sb=b.classList.contains('seq');
if(sa!==sb)return sa?-1:1;return cmp(s.sort)(a,b);}).forEach(function(g){
groups.appendChild(g);});
document.getElementById('shown').textContent=shown+' of '+total+' findings shown';
document.body.dataset.filtered=String(shown);}
form.hidden=false;fromHash();apply();
form.addEventListener('input',apply);form.addEventListener('change',apply);
form.addEventListener('submit',function(e){e.preventDefault();});
window.addEventListener('hashchange',function(){fromHash();apply();});
})();
"""


def sha256_source(text: str) -> str:
    """A CSP hash source ('sha256-...') for an inline element's exact text."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy() -> str:
    """Nothing fetched, nothing run but the report's own style and script."""
    return (
        "default-src 'none'; "
        f"style-src {sha256_source(STYLE)}; script-src {sha256_source(SCRIPT)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
