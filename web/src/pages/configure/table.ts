// A table's sorting, column filters and page kept in the URL (so a view can
// be bookmarked), and turned into the API's `limit`, `offset` and
// `order_by`. `prefix` keeps two tables on one page apart.
import type { TablePaginationConfig } from 'antd';
import type { ColumnType, FilterValue, SorterResult, SortOrder } from 'antd/es/table/interface';
import { useCallback } from 'react';
import { pageSize } from '../../api';
import { useUrlState } from '../../hooks';

const PAGE_SIZES = [20, 50, 100, 200];

export interface TableUrl {
  /** The API query for the current page and ordering. */
  query: { limit: number; offset: number; order_by?: string };
  /** A filter's value from the URL (undefined when unset). */
  filter: (key: string) => string | undefined;
  setFilter: (key: string, value: string | undefined) => void;
  /** Makes a column sortable by the API field `field`, showing the current order. */
  sortable: (field: string) => Pick<ColumnType<unknown>, 'sorter' | 'sortOrder' | 'key'>;
  /** A single-choice column filter over `options`, kept in the URL as `key`. */
  filterable: (
    key: string,
    options: { text: string; value: string }[],
  ) => Pick<ColumnType<unknown>, 'filters' | 'filteredValue' | 'filterMultiple'>;
  pagination: (total: number | undefined) => TablePaginationConfig;
  onChange: (
    pagination: TablePaginationConfig,
    filters: Record<string, FilterValue | null>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    sorter: SorterResult<any> | SorterResult<any>[],
  ) => void;
}

export function useTableUrl(prefix = '', defaultSize = 50): TableUrl {
  const [params, update] = useUrlState();
  const name = (key: string) => `${prefix}${key}`;
  const page = Math.max(1, Number(params.get(name('page'))) || 1);
  const size = pageSize(params.get(name('size')), defaultSize);
  const sort = params.get(name('sort')) ?? undefined;
  const sortField = sort?.replace(/^-/, '');
  const order: SortOrder = sort ? (sort.startsWith('-') ? 'descend' : 'ascend') : null;

  const filter = useCallback((key: string) => params.get(name(key)) ?? undefined, [params, prefix]); // eslint-disable-line react-hooks/exhaustive-deps
  const setFilter = useCallback(
    (key: string, value: string | undefined) => update({ [name(key)]: value, [name('page')]: undefined }),
    [update, prefix], // eslint-disable-line react-hooks/exhaustive-deps
  );

  return {
    query: { limit: size, offset: (page - 1) * size, order_by: sort },
    filter,
    setFilter,
    sortable: (field) => ({ key: field, sorter: true, sortOrder: sortField === field ? order : null }),
    filterable: (key, options) => {
      const value = params.get(name(key));
      return { filters: options, filterMultiple: false, filteredValue: value ? [value] : null };
    },
    pagination: (total) => ({
      current: page,
      pageSize: size,
      total,
      showSizeChanger: true,
      pageSizeOptions: PAGE_SIZES,
      showTotal: (n) => `${n} in all`,
    }),
    onChange: (pagination, filters, sorter) => {
      const one = Array.isArray(sorter) ? sorter[0] : sorter;
      const field = one?.order ? String(one.columnKey ?? one.field ?? '') : '';
      const changes: Record<string, string | undefined> = {
        [name('sort')]: field ? `${one.order === 'descend' ? '-' : ''}${field}` : undefined,
        [name('size')]: pagination.pageSize && pagination.pageSize !== defaultSize ? String(pagination.pageSize) : undefined,
      };
      // Filters live only in columns that declared them (the others come back null too).
      let filtersChanged = false;
      for (const [key, values] of Object.entries(filters)) {
        const next = values?.length ? String(values[0]) : undefined;
        if (next !== (params.get(name(key)) ?? undefined)) filtersChanged = true;
        changes[name(key)] = next;
      }
      const sortChanged = (changes[name('sort')] ?? undefined) !== sort;
      changes[name('page')] =
        filtersChanged || sortChanged || (pagination.pageSize ?? size) !== size || !pagination.current || pagination.current === 1
          ? undefined
          : String(pagination.current);
      update(changes);
    },
  };
}
