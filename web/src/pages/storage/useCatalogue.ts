// The plugins and all their resources, re-read on every storage change and
// on alerts (a resource's health counts its active alerts).
import { useMemo } from 'react';
import { get, MAX_PAGE, type Page } from '../../api';
import { useLoad } from '../../hooks';
import { Catalogue } from './model';
import type { Plugin, Resource } from './types';

/** Past this many resources the tree would not help anyone; say so instead. */
export const MOST_RESOURCES = 20 * MAX_PAGE;

async function allResources(includeRemoved: boolean): Promise<{ resources: Resource[]; total: number }> {
  const resources: Resource[] = [];
  for (;;) {
    const page = await get<Page<Resource>>('/storage_resource', {
      include_removed: includeRemoved || undefined,
      limit: MAX_PAGE,
      offset: resources.length,
    });
    resources.push(...page.objects);
    if (page.objects.length === 0 || resources.length >= page.meta.total_count || resources.length >= MOST_RESOURCES) {
      return { resources, total: page.meta.total_count };
    }
  }
}

export function useCatalogue(includeRemoved: boolean) {
  const plugins = useLoad(
    () => get<Page<Plugin>>('/storage_plugin', { limit: MAX_PAGE }).then((page) => page.objects),
    [],
    ['storage'],
  );
  const resources = useLoad(() => allResources(includeRemoved), [includeRemoved], ['storage', 'alert']);
  const catalogue = useMemo(
    () => new Catalogue(plugins.data ?? [], resources.data?.resources ?? []),
    [plugins.data, resources.data],
  );
  return {
    catalogue,
    /** Whether both have been read at least once. */
    ready: plugins.data !== undefined && resources.data !== undefined,
    loading: plugins.loading || resources.loading,
    error: plugins.error ?? resources.error,
    total: resources.data?.total ?? 0,
  };
}
