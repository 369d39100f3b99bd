// Each plugin's resources as a tree by parent, filtered by class and by
// text; the selection lives in the URL (`?resource=`).
import { Badge, Checkbox, Empty, Input, Select, Space, Tag, Tree, Typography } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useEffect, useMemo, useRef, useState, type Key } from 'react';
import { healthOf, nameOf, type Catalogue } from './model';
import { HealthDot } from './ResourceLink';
import type { Resource } from './types';

interface Props {
  catalogue: Catalogue;
  selected: string | undefined;
  onSelect: (id: string) => void;
  classFilter: string | undefined;
  text: string | undefined;
  includeRemoved: boolean;
  onFilter: (changes: { class?: string | null; q?: string | null; removed?: string | null }) => void;
}

const pluginKey = (name: string) => `plugin:${name}`;

/** Whether `resource` matches the text: its name, id, class or an attribute value. */
function matches(catalogue: Catalogue, resource: Resource, text: string): boolean {
  const haystack = [
    nameOf(resource),
    resource.local_id,
    resource.id,
    resource.class,
    catalogue.labelOf(resource),
    ...Object.values(resource.attributes ?? {}).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))),
  ];
  return haystack.some((s) => s.toLowerCase().includes(text));
}

function NodeTitle({ resource, catalogue, faultBelow }: { resource: Resource; catalogue: Catalogue; faultBelow: boolean }) {
  return (
    <span
      data-testid="storage-node"
      data-class={resource.class}
      data-id={resource.id}
      data-health={healthOf(resource)}
      style={{ display: 'inline-flex', alignItems: 'center', gap: 6, maxWidth: '100%' }}
    >
      <HealthDot health={healthOf(resource)} below={faultBelow} />
      <Typography.Text type="secondary" style={{ flex: 'none' }}>
        {catalogue.labelOf(resource)}
      </Typography.Text>
      <Typography.Text ellipsis style={{ minWidth: 0 }} delete={!!resource.removed_at}>
        {nameOf(resource)}
      </Typography.Text>
      {resource.alerts > 0 && <Badge count={resource.alerts} size="small" title={`${resource.alerts} active alert(s)`} />}
    </span>
  );
}

export default function ResourceTree({ catalogue, selected, onSelect, classFilter, text, includeRemoved, onFilter }: Props) {
  const query = text?.trim().toLowerCase() ?? '';
  const filtering = !!classFilter || query !== '';
  const [typed, setTyped] = useState(text ?? '');
  useEffect(() => setTyped(text ?? ''), [text]);

  const { treeData, branches, matchCount } = useMemo(() => {
    const children = new Map<string, Resource[]>();
    const roots = new Map<string, Resource[]>();
    for (const r of catalogue.resources) {
      // A resource whose parent is not listed (removed) is shown as a root.
      if (r.parent_id && catalogue.get(r.parent_id)) {
        children.set(r.parent_id, [...(children.get(r.parent_id) ?? []), r]);
      } else {
        roots.set(r.plugin, [...(roots.get(r.plugin) ?? []), r]);
      }
    }
    const visible = new Set<string>();
    let matchCount = 0;
    if (filtering) {
      for (const r of catalogue.resources) {
        if ((classFilter && r.class !== classFilter) || (query && !matches(catalogue, r, query))) continue;
        matchCount += 1;
        visible.add(r.id);
        for (const a of catalogue.ancestors(r.id)) visible.add(a.id);
      }
    }
    // Whether something below a resource is faulty, filtered out or not.
    const below = new Map<string, boolean>();
    const faultBelow = (id: string, depth = 0): boolean => {
      const known = below.get(id);
      if (known !== undefined) return known;
      below.set(id, false);
      const answer =
        depth < 64 && (children.get(id) ?? []).some((c) => healthOf(c) === 'bad' || faultBelow(c.id, depth + 1));
      below.set(id, answer);
      return answer;
    };
    const branches: string[] = [];
    const build = (list: Resource[], depth: number): DataNode[] =>
      list
        .filter((r) => !filtering || visible.has(r.id))
        .sort((a, b) => a.class.localeCompare(b.class) || nameOf(a).localeCompare(nameOf(b), undefined, { numeric: true }))
        .map((r) => {
          const kids = depth < 64 ? build(children.get(r.id) ?? [], depth + 1) : [];
          if (kids.length) branches.push(r.id);
          return {
            key: r.id,
            title: <NodeTitle resource={r} catalogue={catalogue} faultBelow={faultBelow(r.id)} />,
            children: kids.length ? kids : undefined,
            isLeaf: kids.length === 0,
          };
        });
    const pluginNames = [...new Set([...catalogue.plugins.map((p) => p.name), ...roots.keys()])];
    const treeData: DataNode[] = pluginNames
      .map((name) => ({ name, nodes: build(roots.get(name) ?? [], 0) }))
      .filter(({ nodes }) => nodes.length > 0)
      .map(({ name, nodes }) => ({
        key: pluginKey(name),
        selectable: false,
        title: <Typography.Text strong>{name}</Typography.Text>,
        children: nodes,
      }));
    return { treeData, branches, matchCount };
  }, [catalogue, filtering, classFilter, query]);

  // Open: the plugins, their roots, and the way to the selection; while
  // filtering, the way to every match.
  const [expanded, setExpanded] = useState<Key[]>([]);
  const seeded = useRef(false);
  useEffect(() => {
    if (filtering) {
      setExpanded([...treeData.map((n) => n.key), ...branches]);
    } else if (!seeded.current && treeData.length) {
      seeded.current = true;
      setExpanded([...treeData.map((n) => n.key), ...treeData.flatMap((n) => (n.children ?? []).map((c) => c.key))]);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filtering, classFilter, query, treeData.length]);
  useEffect(() => {
    if (!selected) return;
    const resource = catalogue.get(selected);
    if (!resource) return;
    const path = [pluginKey(resource.plugin), ...catalogue.ancestors(selected).map((a) => a.id)];
    setExpanded((current) => (path.every((k) => current.includes(k)) ? current : [...new Set([...current, ...path])]));
  }, [selected, catalogue]);

  // Bring the selection into view when it was made elsewhere (the graph, a link).
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!selected) return;
    const timer = setTimeout(() => {
      box.current?.querySelector(`[data-id="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: 'nearest' });
    }, 50);
    return () => clearTimeout(timer);
  }, [selected, expanded]);

  const classes = useMemo(() => {
    const labels = new Map<string, Set<string>>();
    for (const r of catalogue.resources) {
      labels.set(r.class, (labels.get(r.class) ?? new Set()).add(catalogue.labelOf(r)));
    }
    return [...labels.entries()]
      .map(([value, names]) => ({ value, label: [...names].join(' / ') }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }, [catalogue]);

  return (
    <>
      <Space wrap style={{ marginBottom: 8, width: '100%' }}>
        <Select
          allowClear
          placeholder="Class"
          style={{ minWidth: 140 }}
          value={classFilter}
          options={classes}
          onChange={(value?: string) => onFilter({ class: value ?? null })}
          data-testid="storage-class-filter"
        />
        <Input.Search
          allowClear
          placeholder="Name, serial, id…"
          style={{ width: 200 }}
          value={typed}
          onChange={(e) => {
            setTyped(e.target.value);
            if (!e.target.value) onFilter({ q: null });
          }}
          onSearch={(value) => onFilter({ q: value.trim() || null })}
          data-testid="storage-search"
        />
        <Checkbox checked={includeRemoved} onChange={(e) => onFilter({ removed: e.target.checked ? '1' : null })}>
          Removed
        </Checkbox>
        {filtering && <Tag data-testid="storage-matches">{matchCount} match{matchCount === 1 ? '' : 'es'}</Tag>}
      </Space>
      <div ref={box} data-testid="storage-tree" style={{ maxHeight: 'calc(100vh - 320px)', minHeight: 200, overflow: 'auto' }}>
        {treeData.length === 0 ? (
          <Empty description={filtering ? 'No resource matches' : 'No resources'} image={Empty.PRESENTED_IMAGE_SIMPLE} />
        ) : (
          <Tree
            blockNode
            showLine
            virtual={false}
            treeData={treeData}
            expandedKeys={expanded}
            onExpand={(keys) => setExpanded(keys)}
            selectedKeys={selected ? [selected] : []}
            onSelect={(keys, info) => {
              // Clicking the selection again keeps it: the detail stays open.
              const key = keys[0] ?? info.node.key;
              if (typeof key === 'string' && !key.startsWith('plugin:')) onSelect(key);
            }}
          />
        )}
      </div>
    </>
  );
}
