// Connects the scheduler in `serve` to the arXiv harvester: builds a polite client from the
// configuration and harvests the recent papers of the configured categories.
import type { Context } from '../context.ts';
import type { HarvestRunner } from '../jobs/scheduler.ts';
import { ArxivUnreachableError, createArxivClient } from './arxiv-client.ts';
import { harvestRecent } from './harvest.service.ts';

export const arxivHarvestRunner: HarvestRunner = {
  async harvestRecent(ctx, { categories, days, now, signal }) {
    const client = createArxivClient(ctx.config, ctx.log, signal);
    const s = await harvestRecent(ctx, client, { categories, days, now });
    if (s.inserted + s.updated > 0) ctx.events.emit('papers-changed', {});
    return `read ${s.read}, inserted ${s.inserted}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected}`;
  },
  isUnreachable: (err) => err instanceof ArxivUnreachableError,
};
