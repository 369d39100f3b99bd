// The Lustre targets and file systems that would suffer if this resource
// failed, linked to their pages (and a target to the storage it stands on).
import { Card, Empty, Space, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { get, MAX_PAGE, type Page } from '../../api';
import { useLoad } from '../../hooks';
import type { Filesystem, Target } from '../configure/types';
import { useStorageHref } from './ResourceLink';

interface Found {
  targets: Map<string, Target>;
  filesystems: Map<string, string>;
}

/** The ids behind the names, as far as the API finds them; names alone otherwise. */
async function lookUp(targets: string[], filesystems: string[]): Promise<Found> {
  const found: Found = { targets: new Map(), filesystems: new Map() };
  if (targets.length) {
    const page = await get<Page<Target>>('/target', { limit: MAX_PAGE }).catch(() => undefined);
    for (const t of page?.objects ?? []) if (targets.includes(t.name)) found.targets.set(t.name, t);
  }
  await Promise.all(
    filesystems.map((name) =>
      get<Page<Filesystem>>('/filesystem', { name, limit: 1 })
        .then((page) => page.objects[0] && found.filesystems.set(name, page.objects[0].id))
        .catch(() => undefined),
    ),
  );
  return found;
}

export default function Dependents({ targets, filesystems }: { targets: string[]; filesystems: string[] }) {
  const key = `${targets.join(',')}|${filesystems.join(',')}`;
  const { data } = useLoad(() => lookUp(targets, filesystems), [key], ['target', 'filesystem']);
  const href = useStorageHref();
  const none = targets.length === 0 && filesystems.length === 0;
  return (
    <Card size="small" title="Lustre depends on it" style={{ marginBottom: 12 }}>
      <div data-testid="storage-dependents" data-count={targets.length + filesystems.length}>
        {none ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No Lustre target stands on it" />
        ) : (
          <Space orientation="vertical" size={8} style={{ width: '100%' }}>
            {filesystems.length > 0 && (
              <div>
                <Typography.Text type="secondary">File systems: </Typography.Text>
                <Space wrap size={4}>
                  {filesystems.map((name) => {
                    const id = data?.filesystems.get(name);
                    return (
                      <Tag key={name} color="blue" data-testid="storage-dependent-filesystem" data-name={name}>
                        {id ? <Link to={`/configure/filesystems/${id}`}>{name}</Link> : name}
                      </Tag>
                    );
                  })}
                </Space>
              </div>
            )}
            {targets.length > 0 && (
              <div>
                <Typography.Text type="secondary">Targets: </Typography.Text>
                <Space wrap size={4}>
                  {targets.map((name) => {
                    const target = data?.targets.get(name);
                    return (
                      <Tag key={name} data-testid="storage-dependent-target" data-name={name}>
                        {target ? (
                          <Space size={4}>
                            <Link to={href({ target: target.id })} title="What it stands on">
                              {name}
                            </Link>
                            {target.filesystem_id && (
                              <Link to={`/configure/filesystems/${target.filesystem_id}`} title="Its file system">
                                ({target.filesystem ?? 'file system'})
                              </Link>
                            )}
                          </Space>
                        ) : (
                          name
                        )}
                      </Tag>
                    );
                  })}
                </Space>
              </div>
            )}
          </Space>
        )}
      </div>
    </Card>
  );
}
