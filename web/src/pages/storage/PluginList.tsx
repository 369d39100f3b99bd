// The storage plugins: what each is, whether it runs (and why not) and
// when it last reported.
import { Space, Tooltip, Typography } from 'antd';
import StateTag from '../../components/StateTag';
import { ago, time } from '../../format';
import type { Plugin } from './types';

function PluginRow({ plugin }: { plugin: Plugin }) {
  const tag = <StateTag state={plugin.state} />;
  return (
    <div
      data-testid={`storage-plugin-${plugin.name}`}
      data-state={plugin.state}
      style={{ padding: '6px 0', borderBottom: '1px solid #f0f0f0' }}
    >
      <Space wrap size={[8, 2]} style={{ width: '100%' }}>
        <Typography.Text strong>{plugin.name}</Typography.Text>
        {plugin.version && <Typography.Text type="secondary">v{plugin.version}</Typography.Text>}
        {plugin.error ? (
          <Tooltip title={plugin.error}>
            <span data-testid="plugin-error" style={{ cursor: 'help' }}>
              {tag}
            </span>
          </Tooltip>
        ) : (
          tag
        )}
        {plugin.restarts > 0 && (
          <Typography.Text type={plugin.restarts > 3 ? 'danger' : 'warning'}>
            {plugin.restarts} restart{plugin.restarts === 1 ? '' : 's'}
          </Typography.Text>
        )}
      </Space>
      <div>
        <Typography.Text type="secondary" style={{ fontSize: '0.85em' }}>
          {plugin.resources} resource{plugin.resources === 1 ? '' : 's'}
          {' · detected '}
          <Tooltip title={time(plugin.detected_at)}>{plugin.detected_at ? ago(plugin.detected_at) : 'never'}</Tooltip>
          {plugin.levels.includes('monitor') && (
            <>
              {' · monitored '}
              <Tooltip title={time(plugin.monitored_at)}>{plugin.monitored_at ? ago(plugin.monitored_at) : 'never'}</Tooltip>
            </>
          )}
        </Typography.Text>
      </div>
      {plugin.error && plugin.state !== 'running' && (
        <Typography.Paragraph type="danger" ellipsis={{ rows: 2, tooltip: plugin.error }} style={{ margin: 0, fontSize: '0.85em' }}>
          {plugin.error}
        </Typography.Paragraph>
      )}
    </div>
  );
}

export default function PluginList({ plugins }: { plugins: Plugin[] }) {
  return (
    <div data-testid="storage-plugins">
      {plugins.map((p) => (
        <PluginRow key={p.name} plugin={p} />
      ))}
    </div>
  );
}
