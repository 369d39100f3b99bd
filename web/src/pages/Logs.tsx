// Logs: the servers' journal lines and Lustre console messages. Filtered
// by server, severity (that and worse), source, text and time, paged by
// the API, everything in the URL. The live tail follows new lines as the
// stream announces them; scrolling up pauses it, scrolling back to the
// bottom (or "Resume") catches up.
import { Alert, Button, Flex, Pagination, Select, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import { get, type Page } from '../api';
import ErrorNotice from '../components/ErrorNotice';
import { useLoad, useUrlState } from '../hooks';
import { anySet, pagination, paging, TextFilter, TimeRange, useClampedOffset } from './records/filters';
import LogLines from './records/LogLines';
import { LOG_SEVERITIES, type LogFilters, type LogPage } from './records/logTypes';
import { useTail } from './records/useTail';
import type { Host } from './configure/types';

type HostSummary = Pick<Host, 'id' | 'address' | 'nodename'>;

const SEVERITY_OPTIONS = LOG_SEVERITIES.map((s, i) => ({
  value: s,
  label: i === 0 ? s : i === LOG_SEVERITIES.length - 1 ? `${s} (all)` : `${s} and worse`,
}));

const FILTERS = ['host_id', 'severity', 'source', 'q', 'since', 'until'];

/** How close to the bottom still counts as "at the bottom". */
const SLACK = 24;

export default function Logs() {
  const [params, update] = useUrlState();
  const tail = params.get('tail') === '1';
  const oldestFirst = params.get('order_by') === 'at';
  const { limit, offset } = paging(params, 100);
  const filters: LogFilters = {
    host_id: params.get('host_id'),
    severity: params.get('severity'),
    source: params.get('source'),
    q: params.get('q'),
  };

  const hosts = useLoad(() => get<Page<HostSummary>>('/host', { limit: 1000 }), [], ['host']);
  const hostList = hosts.data?.objects ?? [];
  const hostName = useCallback(
    (id: string) => {
      const h = hostList.find((x) => x.id === id);
      return h ? (h.nodename ?? h.address) : id.slice(0, 8);
    },
    [hostList],
  );

  // The paged view (not live: the tail is).
  const query = {
    ...filters,
    since: params.get('since'),
    until: params.get('until'),
    order_by: oldestFirst ? 'at' : undefined,
    limit,
    offset: offset || undefined,
  };
  const paged = useLoad(
    () => (tail ? Promise.resolve(undefined) : get<LogPage>('/log', query)),
    [tail, JSON.stringify(query)],
  );

  useClampedOffset(params, update, paged.data?.meta.total_count, 100);

  // The live tail.
  const [paused, setPaused] = useState(false);
  const live = useTail(filters, tail, paused);
  const body = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (tail && !paused && body.current) body.current.scrollTop = body.current.scrollHeight;
  }, [tail, paused, live.lines]);
  const onScroll = () => {
    const el = body.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= SLACK;
    if (atBottom !== !paused) setPaused(!atBottom);
  };
  const resume = () => {
    setPaused(false);
    if (body.current) body.current.scrollTop = body.current.scrollHeight;
  };

  const onHost = (id: string) => update({ host_id: id, offset: undefined });

  return (
    <div>
      <Flex justify="space-between" align="center" wrap gap={12} style={{ marginBottom: 12 }}>
        <Space size="middle" wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            Logs
          </Typography.Title>
          <Space size="small">
            <Switch
              data-testid="log-tail"
              checked={tail}
              aria-label="Live tail"
              onChange={(on) => {
                setPaused(false);
                update({ tail: on ? '1' : undefined, offset: undefined });
              }}
            />
            <span>Live tail</span>
          </Space>
          {tail &&
            (paused ? (
              <Space size="small">
                <Tag color="gold" data-testid="log-tail-state">
                  paused{live.waiting ? ': new lines waiting' : ''}
                </Tag>
                <Button size="small" onClick={resume}>
                  Resume
                </Button>
              </Space>
            ) : (
              <Tag color="green" data-testid="log-tail-state">
                following
              </Tag>
            ))}
        </Space>
      </Flex>

      <Flex wrap gap={8} style={{ marginBottom: 12 }}>
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          placeholder="Server"
          aria-label="Server"
          data-testid="log-host"
          style={{ width: 200 }}
          loading={hosts.loading && !hosts.data}
          value={filters.host_id ?? undefined}
          options={[
            ...hostList.map((h) => ({ value: h.id, label: h.nodename ?? h.address })),
            // A bookmarked host that is gone still shows.
            ...(filters.host_id && !hostList.some((h) => h.id === filters.host_id)
              ? [{ value: filters.host_id, label: filters.host_id.slice(0, 8) }]
              : []),
          ]}
          onChange={(v?: string) => update({ host_id: v, offset: undefined })}
        />
        <Select
          allowClear
          placeholder="Severity"
          aria-label="Severity"
          data-testid="log-severity"
          style={{ width: 170 }}
          value={filters.severity ?? undefined}
          options={SEVERITY_OPTIONS}
          onChange={(v?: string) => update({ severity: v, offset: undefined })}
        />
        <TextFilter name="source" params={params} update={update} placeholder="Source (kernel, unit)" width={170} />
        <TextFilter name="q" params={params} update={update} placeholder="Message contains" width={240} testId="log-text" />
        <Tooltip title={tail ? 'The live tail follows the newest lines; turn it off to pick a time range' : undefined}>
          <span>
            <TimeRange params={params} update={update} disabled={tail} />
          </span>
        </Tooltip>
        {anySet(params, FILTERS) && (
          <Button
            type="link"
            onClick={() => update(Object.fromEntries([...FILTERS, 'offset'].map((f) => [f, undefined])))}
          >
            Clear filters
          </Button>
        )}
      </Flex>

      {tail ? (
        <>
          <ErrorNotice error={live.error} />
          {live.skipped && (
            <Alert
              type="info"
              showIcon
              closable
              style={{ marginBottom: 12 }}
              title="The log moved faster than the tail could read it: older lines were skipped. Turn the tail off to page through them."
            />
          )}
          <LogLines
            lines={live.lines}
            hostName={hostName}
            onHost={onHost}
            loading={live.loading}
            containerRef={body}
            onScroll={onScroll}
            height="calc(100vh - 250px)"
          />
        </>
      ) : (
        <>
          <ErrorNotice error={paged.error} />
          <LogLines
            lines={paged.data?.objects ?? []}
            hostName={hostName}
            onHost={onHost}
            loading={paged.loading}
            header={
              <Typography.Link
                onClick={() => update({ order_by: oldestFirst ? undefined : 'at', offset: undefined })}
                title="Change the order"
                data-testid="log-order"
              >
                Time {oldestFirst ? '↑ oldest first' : '↓ newest first'}
              </Typography.Link>
            }
          />
          <Flex justify="end" style={{ marginTop: 12 }}>
            <Pagination
              {...pagination(params, update, paged.data?.meta.total_count, 100)}
              showTotal={(n: number, [from, to]: [number, number]) =>
                n ? `${from}–${to} of ${n.toLocaleString()}${paged.data?.meta.total_capped ? '+' : ''}` : 'none'
              }
            />
          </Flex>
        </>
      )}
    </div>
  );
}
