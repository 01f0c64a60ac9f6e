/** The web UI's duplicates page: groups as rows of thumbnails, the kept file marked, paged; no build step. */
import {PAGE_PRELUDE} from './page-prelude.js';

export const duplicatesPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Duplicates · The Visual Cortex</title>
<style>
  :root { color-scheme: dark; --accent: #7cc4ff; --keep: #7ee2a8; }
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #111418; color: #e8eaed; }
  header { padding: 16px 24px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; border-bottom: 1px solid #2a2f36; }
  h1 { font-size: 18px; margin: 0; color: var(--accent); }
  a { color: var(--accent); }
  select, input, button { padding: 6px 10px; border-radius: 8px; border: 1px solid #3a414b; background: #1b1f24; color: inherit; }
  button { background: var(--accent); color: #0b1220; border: 0; cursor: pointer; }
  #status { color: #9aa4af; font-size: 13px; padding: 8px 24px 0; }
  section.group { margin: 14px 24px; padding: 12px; background: #161a1f; border-radius: 10px; }
  section.group h2 { font-size: 14px; margin: 0 0 8px; color: #9aa4af; font-weight: 500; }
  .members { display: flex; gap: 12px; flex-wrap: wrap; }
  figure { margin: 0; width: 170px; background: #1b1f24; border-radius: 10px; overflow: hidden; border: 2px solid transparent; }
  figure.keep { border-color: var(--keep); }
  figure img { width: 100%; aspect-ratio: 1; object-fit: cover; display: block; background: #0b0d10; }
  figcaption { padding: 6px 8px; font-size: 12px; }
  figcaption div { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .badge { font-weight: 600; }
  figure.keep .badge { color: var(--keep); }
  .meta { color: #9aa4af; }
</style>
</head>
<body>
<header>
  <h1>Duplicates</h1>
  <a href="/">search</a>
  <form id="options">
    <select id="method"><option>phash</option><option>clip</option><option>both</option></select>
    <input id="threshold" size="6" placeholder="threshold" inputmode="decimal">
    <select id="keep"><option>largest</option><option>oldest</option><option>first</option></select>
    <button type="submit">Find</button>
  </form>
</header>
<div id="status"></div>
<main id="groups"></main>
<div style="padding: 0 24px 24px"><button id="more" hidden>More groups</button></div>
<script type="module">${PAGE_PRELUDE}
  const PAGE = 20;
  let offset = 0;

  function kb(bytes) { return bytes < 1024 ? bytes + ' B' : (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0) + ' KB'; }

  function score(member) {
    if (member.kind === 'representative') return '';
    if (member.kind === 'exact') return 'same bytes';
    const parts = [];
    if (member.phashDistance !== undefined) parts.push(member.phashDistance + ' bits');
    if (member.clipScore !== undefined) parts.push('cos ' + member.clipScore.toFixed(3));
    return parts.join(' · ');
  }

  function renderGroup(group, number) {
    const section = document.createElement('section');
    section.className = 'group';
    const title = document.createElement('h2');
    title.textContent = 'Group ' + number + ' · ' + group.kind + ' · ' + group.members.length + ' files · keeps ' + group.keep;
    const members = document.createElement('div');
    members.className = 'members';
    for (const member of group.members) {
      const figure = document.createElement('figure');
      figure.dataset.id = member.row;
      if (member.action === 'keep') figure.className = 'keep';
      const img = thumbnail(member.row, member.file);
      const caption = document.createElement('figcaption');
      const name = document.createElement('div');
      name.textContent = member.file;
      name.title = member.file;
      const meta = document.createElement('div');
      meta.className = 'meta';
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = member.action === 'keep' ? 'keep ' : 'dup ';
      meta.append(badge, (member.missing || member.width + '×' + member.height) + ' · ' + kb(member.bytes) + (score(member) ? ' · ' + score(member) : ''));
      caption.append(name, meta);
      figure.append(img, caption);
      members.append(figure);
    }
    section.append(title, members);
    return section;
  }

  async function load(reset) {
    if (reset) { offset = 0; $('groups').replaceChildren(); }
    const params = new URLSearchParams({ method: $('method').value, keep: $('keep').value, offset: String(offset), limit: String(PAGE) });
    if ($('threshold').value.trim()) params.set('threshold', $('threshold').value.trim());
    status('finding duplicates…');
    try {
      const response = await fetch('/api/duplicates?' + params, { headers: auth });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || response.statusText);
      body.groups.forEach((group, index) => $('groups').append(renderGroup(group, offset + index + 1)));
      offset += body.groups.length;
      $('more').hidden = offset >= body.groupCount;
      status(body.groupCount + ' groups among ' + body.rows + ' images · ' + body.duplicateRows + ' to spare' + (body.notes.length ? ' · ' + body.notes.join('; ') : ''));
    } catch (error) { status('error: ' + error.message); }
  }

  $('options').addEventListener('submit', (event) => { event.preventDefault(); load(true); });
  $('more').addEventListener('click', () => load(false));
  load(true);
</script>
</body>
</html>
`;
