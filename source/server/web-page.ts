/** The web UI: one self-contained page (no build step), talking to the JSON API. */
import {PAGE_PRELUDE} from './page-prelude.js';

export const webPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Visual Cortex</title>
<style>
  :root { color-scheme: dark; --accent: #7cc4ff; }
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #111418; color: #e8eaed; }
  header { padding: 16px 24px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; border-bottom: 1px solid #2a2f36; }
  h1 { font-size: 18px; margin: 0; color: var(--accent); }
  form { display: flex; gap: 8px; flex: 1; min-width: 280px; }
  input[type=search] { flex: 1; padding: 8px 12px; border-radius: 8px; border: 1px solid #3a414b; background: #1b1f24; color: inherit; }
  button { padding: 8px 14px; border-radius: 8px; border: 0; background: var(--accent); color: #0b1220; cursor: pointer; }
  #stats, #status { color: #9aa4af; font-size: 13px; }
  #drop { margin: 16px 24px 0; padding: 14px; border: 2px dashed #3a414b; border-radius: 10px; text-align: center; color: #9aa4af; }
  #drop.over { border-color: var(--accent); color: var(--accent); }
  #results { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 14px; padding: 16px 24px; }
  figure { margin: 0; background: #1b1f24; border-radius: 10px; overflow: hidden; cursor: pointer; }
  figure img { width: 100%; aspect-ratio: 1; object-fit: cover; display: block; background: #0b0d10; }
  figcaption { padding: 6px 10px; font-size: 12px; display: flex; justify-content: space-between; gap: 8px; }
  figcaption span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .score { color: var(--accent); font-variant-numeric: tabular-nums; }
  #filters { padding: 10px 24px 0; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; color: #9aa4af; font-size: 13px; }
  #filters input[type=text] { width: 160px; padding: 4px 8px; border-radius: 6px; border: 1px solid #3a414b; background: #1b1f24; color: inherit; }
  #help { padding: 6px 24px 0; color: #7d8792; font-size: 12px; }
  #help code { color: #c9d1d9; }
  body.dragging #drop { border-color: var(--accent); color: var(--accent); }
</style>
</head>
<body>
<header>
  <h1>The Visual Cortex</h1>
  <form id="search-form">
    <input id="query" type="search" placeholder='Describe an image… (a red car, or "2:golden retriever" + beach - "text")' autocomplete="off" autofocus maxlength="1000">
    <button type="submit">Search</button>
  </form>
  <span id="stats"></span>
  <a href="/duplicates" style="color: var(--accent)">duplicates</a>
</header>
<div id="filters">
  <label>min score <input id="min-score" type="range" min="0" max="1" step="0.01" value="0"> <output id="min-score-value">off</output></label>
  <label>folder <input id="under" type="text" placeholder="all (e.g. holidays/2024)" autocomplete="off" maxlength="256"></label>
</div>
<div id="help">Weigh and combine terms: <code>"2:golden retriever" + beach - "text"</code> · <code>0.5*id:42</code> is the image in row 42 ·
  quote text that has + or - · drop an image anywhere on the page to search by it</div>
<div id="drop">Drop an image here (or anywhere) to search by example</div>
<div id="status" style="padding: 8px 24px 0"></div>
<main id="results"></main>
<script type="module">${PAGE_PRELUDE}

  async function api(path, init = {}) {
    const response = await fetch(path, { ...init, headers: { ...auth, ...(init.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function render(results, label) {
    const min = Number($('min-score').value);
    if (min > 0) label += ' scoring at least ' + min.toFixed(2);
    const grid = $('results');
    grid.replaceChildren();
    for (const hit of results) {
      const figure = document.createElement('figure');
      figure.dataset.id = hit.id;
      figure.title = hit.file + ' — click to find similar images';
      const img = thumbnail(hit.id, hit.file);
      const caption = document.createElement('figcaption');
      const name = document.createElement('span');
      name.textContent = hit.rank + '. ' + hit.file;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = hit.score.toFixed(4);
      caption.append(name, score);
      figure.append(img, caption);
      figure.addEventListener('click', () => run(byId(hit.id, hit.file)));
      grid.append(figure);
    }
    status(results.length + ' results for ' + label);
  }

  // The last search, re-run when the cut-off or the folder changes (a dropped image is kept for that).
  let last = null;
  let ticket = 0;
  function filters() {
    const params = new URLSearchParams({ k: '24' });
    const min = Number($('min-score').value);
    if (min > 0) params.set('min_score', min.toFixed(2));
    const under = $('under').value.trim();
    if (under) params.set('under', under);
    return params;
  }
  async function run(search) {
    last = search;
    const mine = ++ticket;
    status('searching…');
    try {
      const body = await search.request(filters());
      if (mine === ticket) render(body.results, search.label);
    } catch (error) { if (mine === ticket) status('error: ' + error.message); }
  }
  const byId = (id, file) => ({ label: 'images like ' + file, request: (p) => { p.set('id', id); return api('/api/search?' + p); } });
  const byText = (q) => ({ label: '"' + q + '"', request: (p) => { p.set('q', q); return api('/api/search?' + p); } });
  const byImage = (file) => ({ label: file.name, request: (p) => api('/api/search?' + p, { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } }) });

  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('query').value.trim();
    if (q) run(byText(q));
  });
  $('min-score').addEventListener('input', () => {
    const min = Number($('min-score').value);
    $('min-score-value').textContent = min > 0 ? min.toFixed(2) : 'off';
  });
  $('min-score').addEventListener('change', () => { if (last) run(last); });
  $('under').addEventListener('change', () => { if (last) run(last); });

  // The whole page takes a dropped image; the counter survives dragenter/dragleave pairs of child elements.
  let depth = 0;
  document.addEventListener('dragenter', (event) => { event.preventDefault(); depth++; document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (!file) return;
    if (file.type && !file.type.startsWith('image/')) { status('error: ' + file.name + ' is not an image'); return; }
    run(byImage(file));
  });

  api('/api/stats').then((s) => { $('stats').textContent = s.count + ' images · ' + s.model + ' (' + s.dtype + ', ' + s.dims + '-d)'; })
    .catch((error) => status('error: ' + error.message));
</script>
</body>
</html>
`;
