import { type Html, html } from './html.js';

/** The pages of the console's navigation, in order. */
export const consolePages = [
  ['servers', 'Servers'],
  ['catalog', 'Catalog'],
  ['views', 'Views'],
  ['runs', 'Runs'],
  ['approvals', 'Approvals'],
  ['audit', 'Audit'],
  ['usage', 'Usage'],
  ['keys', 'Keys']
] as const;

export type ConsolePage = (typeof consolePages)[number][0];

export interface LayoutOptions {
  title: string;
  /** The navigation entry to mark current; none on the sign-in page. */
  active?: ConsolePage;
  /** The session's CSRF token, for the page's scripts (state-changing requests send it back). */
  csrf?: string;
  /** Who is signed in. */
  who?: string;
  gateway: string;
  body: Html;
}

/** A whole page: the document, the navigation, the stylesheet and the one script, both from the package. */
export function layout(options: LayoutOptions): Html {
  const nav = options.active
    ? html`<nav aria-label="Console"><ul>${consolePages.map(
        ([page, label]) => html`<li><a href="/console/${page}"${options.active === page ? html` aria-current="page"` : ''}>${label}</a></li>`
      )}</ul><form method="post" action="/console/logout" class="signout"><input type="hidden" name="csrf" value="${options.csrf ?? ''}"><span>${options.who ?? ''}</span> <button type="submit">Sign out</button></form></nav>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${options.gateway} console</title>
<meta name="manifold-csrf" content="${options.csrf ?? ''}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head><body>
<header><a class="brand" href="/console/servers">${options.gateway} <span>console</span></a>${nav}</header>
<main id="main"><h1>${options.title}</h1>
${options.body}
</main></body></html>`;
}
