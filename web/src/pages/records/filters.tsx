// Filter controls bound to the URL (useUrlState), shared by the Alerts,
// Events and Logs pages, so each view can be bookmarked.
import { DatePicker, Input, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useRef, useState } from 'react';
import { pageSize } from '../../api';

type Update = (changes: Record<string, string | number | undefined | null>) => void;

/** Page size and offset from the URL, checked against what the API accepts. */
export function paging(params: URLSearchParams, defaultLimit = 50): { limit: number; offset: number } {
  const offset = Number(params.get('offset'));
  return {
    limit: pageSize(params.get('limit'), defaultLimit),
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** antd pagination bound to `limit`/`offset` in the URL. */
export function pagination(params: URLSearchParams, update: Update, total: number | undefined, defaultLimit = 50) {
  const { limit, offset } = paging(params, defaultLimit);
  return {
    current: Math.floor(offset / limit) + 1,
    pageSize: limit,
    total: total ?? 0,
    showSizeChanger: true,
    pageSizeOptions: [25, 50, 100, 200, 500],
    showTotal: (n: number, [from, to]: [number, number]) => (n ? `${from}–${to} of ${n}` : 'none'),
    onChange: (page: number, size: number) =>
      update({
        limit: size === defaultLimit ? undefined : size,
        // A new page size starts again from the first page.
        offset: size !== limit ? undefined : (page - 1) * size || undefined,
      }),
  };
}

/**
 * Back to the last page when the one in the URL is past the end (rows were
 * acknowledged or filtered away meanwhile), rather than showing an empty page.
 */
export function useClampedOffset(params: URLSearchParams, update: Update, total: number | undefined, defaultLimit = 50) {
  const { limit, offset } = paging(params, defaultLimit);
  useEffect(() => {
    if (total === undefined || offset === 0 || offset < total) return;
    const last = total > 0 ? Math.floor((total - 1) / limit) * limit : 0;
    update({ offset: last || undefined });
  }, [total, offset, limit, update]);
}

/** A text filter that writes `name` to the URL as the user pauses typing. */
export function TextFilter({
  name,
  params,
  update,
  placeholder,
  width = 200,
  testId,
}: {
  name: string;
  params: URLSearchParams;
  update: Update;
  placeholder: string;
  width?: number;
  testId?: string;
}) {
  const current = params.get(name) ?? '';
  const [text, setText] = useState(current);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  // Follow the URL when it changes from elsewhere (back, "clear filters").
  // Text that trims to the URL's value is already in sync: keep what is
  // typed (a space before the next word).
  useEffect(() => setText((typed) => (typed.trim() === current ? typed : current)), [current]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const commit = (value: string) => {
    clearTimeout(timer.current);
    if (value.trim() !== current) update({ [name]: value.trim() || undefined, offset: undefined });
  };
  return (
    <Input
      allowClear
      placeholder={placeholder}
      aria-label={placeholder}
      value={text}
      style={{ width }}
      data-testid={testId}
      onChange={(e) => {
        const value = e.target.value;
        setText(value);
        clearTimeout(timer.current);
        timer.current = setTimeout(() => commit(value), 400);
      }}
      onPressEnter={() => commit(text)}
    />
  );
}

/** A choice filter: `name` in the URL, cleared to mean "any". */
export function ChoiceFilter({
  name,
  params,
  update,
  placeholder,
  options,
  width = 160,
  testId,
}: {
  name: string;
  params: URLSearchParams;
  update: Update;
  placeholder: string;
  options: { value: string; label: React.ReactNode }[];
  width?: number;
  testId?: string;
}) {
  const value = params.get(name) ?? undefined;
  // A bookmarked value the list does not know still shows.
  const all = value && !options.some((o) => o.value === value) ? [...options, { value, label: value }] : options;
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'value' }}
      placeholder={placeholder}
      aria-label={placeholder}
      value={value}
      options={all}
      style={{ width }}
      data-testid={testId}
      onChange={(v?: string) => update({ [name]: v, offset: undefined })}
    />
  );
}

// Functions, so "last hour" is the hour before the click, not before the page loaded.
const last = (amount: number, unit: 'minute' | 'hour' | 'day') => (): [Dayjs, Dayjs] => [dayjs().subtract(amount, unit), dayjs()];
const PRESETS = [
  { label: 'Last 15 minutes', value: last(15, 'minute') },
  { label: 'Last hour', value: last(1, 'hour') },
  { label: 'Last 24 hours', value: last(1, 'day') },
  { label: 'Last 7 days', value: last(7, 'day') },
];

function parse(text: string | null): Dayjs | null {
  if (!text) return null;
  const d = dayjs(text);
  return d.isValid() ? d : null;
}

/** `since`/`until` in the URL as ISO times; either end may stay open. */
export function TimeRange({
  params,
  update,
  disabled,
}: {
  params: URLSearchParams;
  update: Update;
  disabled?: boolean;
}) {
  return (
    <DatePicker.RangePicker
      showTime={{ format: 'HH:mm' }}
      format="YYYY-MM-DD HH:mm"
      allowEmpty={[true, true]}
      placeholder={['Since', 'Until']}
      presets={PRESETS}
      disabled={disabled}
      value={[parse(params.get('since')), parse(params.get('until'))]}
      onChange={(range) =>
        update({
          since: range?.[0]?.toISOString(),
          until: range?.[1]?.toISOString(),
          offset: undefined,
        })
      }
    />
  );
}

/** Whether any of `names` is set in the URL. */
export function anySet(params: URLSearchParams, names: string[]): boolean {
  return names.some((n) => params.get(n));
}
