// The per-database cache of in-process search indexes (search.service.ts builds them), in its own module so
// that the model service can drop an index after switching models without importing the search service.
import type { CorpusStamp } from './search.repository.ts';
import type { SearchIndex } from './search-index.ts';

export interface CachedIndex {
  stamp: CorpusStamp;
  index: SearchIndex;
  checkedAt: number;
}

export interface CacheEntry {
  current: CachedIndex | null;
  building: Promise<CachedIndex> | null;
}

export const indexCaches = new WeakMap<object, CacheEntry>();

/** Forgets a database's index: the next search rebuilds it. */
export function dropSearchIndex(db: object): void {
  indexCaches.get(db)?.current?.index.dispose();
  indexCaches.delete(db);
}
