// Log lines as a dense table: time, server, severity, source and the
// message in monospace, coloured by severity. Plain rows rather than an
// antd Table so a live tail of thousands of lines stays cheap to render.
import { Empty, Spin, Typography } from 'antd';
import type { ReactNode, Ref, UIEventHandler } from 'react';
import dayjs from 'dayjs';
import type { LogLine } from './logTypes';

const COLOURS: Record<string, { tag: string; text?: string; weight?: number }> = {
  emerg: { tag: '#a8071a', text: '#a8071a', weight: 600 },
  alert: { tag: '#a8071a', text: '#a8071a', weight: 600 },
  crit: { tag: '#cf1322', text: '#cf1322', weight: 600 },
  error: { tag: '#cf1322', text: '#cf1322' },
  warning: { tag: '#d46b08', text: '#ad4e00' },
  notice: { tag: '#0958d9' },
  info: { tag: '#595959' },
  debug: { tag: '#8c8c8c', text: '#8c8c8c' },
};

// Fixed widths, so every row (its own grid) lines up with the heading.
const GRID = '13.5em 8em 5.5em 7.5em minmax(0, 1fr)';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

const cell = { padding: '3px 8px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

function SeverityBadge({ severity }: { severity: string }) {
  const c = COLOURS[severity] ?? COLOURS.info;
  return (
    <span
      style={{
        color: c.tag,
        border: `1px solid ${c.tag}`,
        borderRadius: 4,
        padding: '0 4px',
        fontSize: '0.85em',
        fontWeight: c.weight,
      }}
    >
      {severity}
    </span>
  );
}

export default function LogLines({
  lines,
  hostName,
  onHost,
  loading,
  header,
  containerRef,
  onScroll,
  height,
}: {
  lines: LogLine[];
  /** A host's name when the line does not carry its node name. */
  hostName: (id: string) => string;
  /** Filter by the host clicked. */
  onHost: (id: string) => void;
  loading?: boolean;
  /** The time column's heading (the paged view makes it a sort toggle). */
  header?: ReactNode;
  containerRef?: Ref<HTMLDivElement>;
  onScroll?: UIEventHandler<HTMLDivElement>;
  /** A fixed height makes the body scroll on its own (the live tail). */
  height?: string;
}) {
  return (
    <div
      role="table"
      aria-label="Log lines"
      data-testid="log-lines"
      style={{ border: '1px solid #f0f0f0', borderRadius: 8, background: '#fff', fontSize: 13 }}
    >
      <div
        role="row"
        style={{ display: 'grid', gridTemplateColumns: GRID, background: '#fafafa', fontWeight: 600, borderBottom: '1px solid #f0f0f0' }}
      >
        <div role="columnheader" style={cell}>{header ?? 'Time'}</div>
        <div role="columnheader" style={cell}>Server</div>
        <div role="columnheader" style={cell}>Severity</div>
        <div role="columnheader" style={cell}>Source</div>
        <div role="columnheader" style={cell}>Message</div>
      </div>
      <div
        ref={containerRef}
        onScroll={onScroll}
        style={height ? { height, minHeight: 320, overflowY: 'auto' } : undefined}
        data-testid="log-body"
      >
        {lines.length === 0 ? (
          <div style={{ padding: 24 }}>{loading ? <Spin /> : <Empty description="No log lines" />}</div>
        ) : (
          lines.map((line) => {
            const c = COLOURS[line.severity] ?? COLOURS.info;
            return (
              <div
                key={line.id}
                role="row"
                data-testid="log-row"
                data-id={line.id}
                data-severity={line.severity}
                style={{ display: 'grid', gridTemplateColumns: GRID, borderBottom: '1px solid #f5f5f5', alignItems: 'start' }}
              >
                <div role="cell" style={{ ...cell, fontFamily: MONO }} title={dayjs(line.at).format('YYYY-MM-DD HH:mm:ss.SSS Z')}>
                  {dayjs(line.at).format('MM-DD HH:mm:ss.SSS')}
                </div>
                <div role="cell" style={cell}>
                  <Typography.Link onClick={() => onHost(line.host_id)} title="Only this server">
                    {line.nodename ?? hostName(line.host_id)}
                  </Typography.Link>
                </div>
                <div role="cell" style={cell}>
                  <SeverityBadge severity={line.severity} />
                </div>
                <div role="cell" style={cell} title={line.source}>
                  {line.source}
                </div>
                <div
                  role="cell"
                  data-testid="log-message"
                  style={{
                    ...cell,
                    whiteSpace: 'pre-wrap',
                    overflowWrap: 'anywhere',
                    fontFamily: MONO,
                    color: c.text,
                    fontWeight: c.weight,
                  }}
                >
                  {line.message}
                </div>
              </div>
            );
          })
        )}
      </div>
    </div>
  );
}
