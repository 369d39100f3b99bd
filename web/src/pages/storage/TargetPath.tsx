// `?target=ID`: what a Lustre target stands on, from the resources that are
// its volume down to the disks, as a layered graph coloured by health;
// clicking a resource selects it.
import { CloseOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { get } from '../../api';
import Chart, { type ChartOption } from '../../components/Chart';
import ErrorNotice from '../../components/ErrorNotice';
import StateTag from '../../components/StateTag';
import { useLoad } from '../../hooks';
import type { Target } from '../configure/types';
import { layered } from './layout';
import { HEALTH_COLOURS, healthOf, nameOf, type Catalogue } from './model';
import type { Resource, StoragePath } from './types';

const EDGE_STYLES: Record<string, { type: 'solid' | 'dashed' | 'dotted'; color: string }> = {
  parent: { type: 'dashed', color: '#bfbfbf' },
  same_as: { type: 'dotted', color: '#1677ff' },
};

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface Props {
  targetId: string;
  catalogue: Catalogue;
  selected: string | undefined;
  onSelect: (id: string) => void;
  onClose: () => void;
}

function pathOption(path: StoragePath, catalogue: Catalogue, selected: string | undefined): { option: ChartOption; height: number } {
  const byId = new Map(path.resources.map((r) => [r.id, r]));
  const label = (r: Resource) => `${catalogue.labelOf(r)} ${nameOf(r)}`;
  const { nodes, edges, layers } = layered(
    path.resources.map((r) => r.id),
    path.edges,
    (a, b) => {
      const ra = byId.get(a);
      const rb = byId.get(b);
      return !ra || !rb ? 0 : ra.class.localeCompare(rb.class) || nameOf(ra).localeCompare(nameOf(rb), undefined, { numeric: true });
    },
  );
  const option: ChartOption = {
    animation: false,
    tooltip: {
      confine: true,
      formatter: (p: { dataType?: string; data?: { id?: string; source?: string; target?: string; kind?: string } }) => {
        if (p.dataType === 'edge') {
          const from = byId.get(p.data?.source ?? '');
          const to = byId.get(p.data?.target ?? '');
          const kind = p.data?.kind === 'parent' ? 'is held by' : (p.data?.kind ?? '').replace(/_/g, ' ');
          return from && to ? escape(`${label(from)} ${kind} ${label(to)}`) : '';
        }
        const r = byId.get(p.data?.id ?? '');
        if (!r) return '';
        const status = r.attributes?.status;
        return [
          `<b>${escape(label(r))}</b>`,
          escape(`${r.plugin} · ${r.local_id}`),
          status !== undefined ? escape(`status: ${String(status)}`) : '',
          r.alerts > 0 ? escape(`${r.alerts} active alert(s)`) : '',
        ]
          .filter(Boolean)
          .join('<br/>');
      },
    },
    // Placed on hidden axes rather than scaled into the view, so the
    // layers fill the width without squashing the symbols.
    grid: { left: 70, right: 70, top: 16, bottom: 40 },
    xAxis: { type: 'value', show: false, min: 0, max: 1 },
    yAxis: { type: 'value', show: false, inverse: true, min: -0.15, max: Math.max(layers - 1, 0) + 0.25 },
    series: [
      {
        type: 'graph',
        layout: 'none',
        coordinateSystem: 'cartesian2d',
        roam: false,
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 7,
        labelLayout: { hideOverlap: true },
        emphasis: { focus: 'adjacency' },
        data: nodes.map((n) => {
          const r = byId.get(n.id);
          const colour = HEALTH_COLOURS[r ? healthOf(r) : 'removed'];
          const isSelected = n.id === selected;
          return {
            id: n.id,
            name: n.id,
            value: [n.x, n.y],
            symbolSize: isSelected ? 22 : 16,
            itemStyle: { color: colour, borderColor: isSelected ? '#000' : '#fff', borderWidth: isSelected ? 3 : 1 },
            label: {
              show: true,
              position: 'bottom',
              distance: 4,
              formatter: () => (r ? `{kind|${catalogue.labelOf(r)}}\n{name|${nameOf(r)}}` : n.id),
              rich: {
                kind: { fontSize: 10, lineHeight: 13, color: '#8c8c8c' },
                name: { fontSize: 11, lineHeight: 14, color: '#262626' },
              },
            },
          };
        }),
        links: edges.map(([source, target, kind]) => ({
          source,
          target,
          kind,
          lineStyle: { width: 1.5, ...(EDGE_STYLES[kind] ?? { type: 'solid', color: '#8c8c8c' }) },
        })),
      },
    ],
  };
  return { option, height: Math.min(720, Math.max(220, layers * 100 + 40)) };
}

function Summary({ resources, catalogue }: { resources: Resource[]; catalogue: Catalogue }) {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(catalogue.labelOf(r), (counts.get(catalogue.labelOf(r)) ?? 0) + 1);
  const faulty = resources.filter((r) => healthOf(r) === 'bad').length;
  return (
    <Space wrap size={4}>
      {[...counts.entries()].map(([name, n]) => (
        <Tag key={name}>
          {n} × {name}
        </Tag>
      ))}
      {faulty > 0 ? (
        <Tag color="red" data-testid="storage-path-faulty">
          {faulty} faulty
        </Tag>
      ) : (
        <Tag color="green">all healthy</Tag>
      )}
    </Space>
  );
}

export default function TargetPath({ targetId, catalogue, selected, onSelect, onClose }: Props) {
  const target = useLoad(() => get<Target>(`/target/${targetId}`), [targetId], ['target']);
  const path = useLoad(() => get<StoragePath>(`/target/${targetId}/storage`), [targetId], ['storage', 'alert']);
  const drawn = useMemo(
    () => (path.data && path.data.resources.length ? pathOption(path.data, catalogue, selected) : undefined),
    [path.data, catalogue, selected],
  );
  const name = target.data?.name ?? 'the target';
  const count = path.data?.resources.length ?? 0;

  return (
    <Card
      size="small"
      style={{ marginBottom: 12 }}
      title={
        <Space wrap>
          <span>
            Target{' '}
            {target.data?.filesystem_id ? (
              <Link to={`/configure/filesystems/${target.data.filesystem_id}`}>{name}</Link>
            ) : (
              name
            )}{' '}
            stands on
          </span>
          {target.data && <StateTag state={target.data.state} />}
          {target.data && <Typography.Text type="secondary">volume {target.data.volume_serial}</Typography.Text>}
        </Space>
      }
      extra={
        <Tooltip title="Back to the resource tree only">
          <Button size="small" type="text" icon={<CloseOutlined />} onClick={onClose} aria-label="Close" data-testid="storage-path-close" />
        </Tooltip>
      }
    >
      <ErrorNotice error={target.error ?? path.error} />
      <div data-testid="storage-path" data-nodes={path.data ? count : undefined} data-target={targetId}>
        {!path.data ? (
          path.loading && <Spin />
        ) : count === 0 ? (
          <Empty
            image={Empty.PRESENTED_IMAGE_SIMPLE}
            description={`No storage plugin describes what ${name} stands on yet: none reports a resource with its volume’s serial${target.data ? ` (${target.data.volume_serial})` : ''}.`}
          />
        ) : (
          <>
            <Summary resources={path.data.resources} catalogue={catalogue} />
            {drawn && (
              <Chart
                option={drawn.option}
                replace
                style={{ height: drawn.height }}
                testId="storage-path-graph"
                onClick={(p) => {
                  const id = (p.data as { id?: string } | undefined)?.id;
                  if (p.dataType === 'node' && id) onSelect(id);
                }}
              />
            )}
            <Typography.Text type="secondary" style={{ fontSize: '0.85em' }}>
              Arrows point to what a resource stands on: solid for what it is built on, dotted blue for the same
              thing seen by another plugin, dashed grey for the resource holding it. Click a resource to show it.
            </Typography.Text>
          </>
        )}
      </div>
    </Card>
  );
}
