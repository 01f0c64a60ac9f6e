/**
 * The start of every served page's script: the access token (from the link's #token=, kept in localStorage so a
 * reload keeps it), the header that carries it, and the image link that carries it as ?token= (an <img> cannot
 * send headers), with the lazy thumbnail both pages show. One copy, so the search and duplicates pages cannot
 * drift apart on how they authorise.
 */
export const PAGE_PRELUDE = `
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || localStorage.getItem('vc-token') || '';
  if (token) localStorage.setItem('vc-token', token);
  const auth = token ? { Authorization: 'Bearer ' + token } : {};
  const imageUrl = (row) => '/api/images/' + row + (token ? '?token=' + encodeURIComponent(token) : '');
  const thumbnail = (row, file) => {
    const img = document.createElement('img');
    img.loading = 'lazy';
    img.alt = file;
    img.src = imageUrl(row);
    return img;
  };
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $('status').textContent = text; };`;
