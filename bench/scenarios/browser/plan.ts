/** The browser scenario's matrix per run size, and what one round of it is. */
import { bySize, type BenchOptions } from '../types.ts';
import { CC_CANDIDATES } from '../cc-loss-sweep.ts';
import { PAGE_BIG_BYTES, PAGE_ITEMS, PAGE_SMALL_BYTES, PAGE_SMALL_COUNT } from '../hol/transport.ts';

/** h1_close: the server answers every response with `Connection: close`, so the browser reconnects per resource. */
export type BrowserCase = 'h2' | 'h1_keepalive' | 'h1_close';
export const BROWSER_CASES: readonly BrowserCase[] = ['h2', 'h1_keepalive', 'h1_close'];

/** flat: every resource fetched at once by script (the harness's own page); document: a document that references them. */
export type PageKind = 'flat' | 'document';
export const PAGE_KINDS: readonly PageKind[] = ['flat', 'document'];

/** The three loads of one browser launch, in order. */
export type BrowserState = 'cold' | 'warm' | 'resumed';
export const BROWSER_STATES: readonly BrowserState[] = ['cold', 'warm', 'resumed'];

/** The page: the harness's page-load page of C5 (hol), so the two can be set side by side. */
export const BROWSER_PAGE = {
  doc_bytes: PAGE_BIG_BYTES,
  subs: PAGE_SMALL_COUNT,
  sub_bytes: PAGE_SMALL_BYTES,
  resources: PAGE_ITEMS,
} as const;

export interface BrowserPlan {
  pages: readonly PageKind[];
  cases: readonly BrowserCase[];
  losses: readonly number[];
  /** Browser launches per case, page, loss and congestion control (each gives a cold, a warm and a resumed load). */
  reps: number;
  /** Congestion controls to sweep (those the host allows); null = only the one in force. */
  ccs: readonly string[] | null;
}

export function browserPlan(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): BrowserPlan {
  return bySize(options, {
    quick: { pages: PAGE_KINDS, cases: BROWSER_CASES, losses: [0], reps: options.requests ?? 1, ccs: null },
    // 6 launches a case: the fewest for an exact 95 % CI of a median (96.9 %, from the extremes).
    standard: {
      pages: PAGE_KINDS,
      cases: BROWSER_CASES,
      losses: [0, 5],
      reps: options.requests ?? 6,
      ccs: CC_CANDIDATES,
    },
    full: {
      pages: PAGE_KINDS,
      cases: BROWSER_CASES,
      losses: [0, 1, 5],
      reps: options.requests ?? 10,
      ccs: CC_CANDIDATES,
    },
  });
}

/** Whether the harness loads the same page too (its own client has the flat page's shape, on kept-alive connections). */
export function harnessCounterpart(page: PageKind, c: BrowserCase): boolean {
  return page === 'flat' && c !== 'h1_close';
}

/** A page's paths on the harness's servers: the flat page's resources, or the document. */
export function pagePaths(page: PageKind, c: BrowserCase): string[] {
  const close = c === 'h1_close' ? '&close=1' : '';
  if (page === 'document')
    return [`/page/${BROWSER_PAGE.doc_bytes}?subs=${BROWSER_PAGE.subs}&sub_bytes=${BROWSER_PAGE.sub_bytes}${close}`];
  return [
    `/bytes/${BROWSER_PAGE.doc_bytes}?web=1&i=0${close}`,
    ...Array.from({ length: BROWSER_PAGE.subs }, (_, i) => `/bytes/${BROWSER_PAGE.sub_bytes}?web=1&i=${i + 1}${close}`),
  ];
}
