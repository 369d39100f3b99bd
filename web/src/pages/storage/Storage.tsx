// Storage: the hardware under Lustre as the storage plugins describe it
// (docs/plugins.md). Left, the plugins and a tree of their resources;
// right, the selected resource (`?resource=`), and with `?target=` the
// path from that target's volume down to the disks.
import { Card, Col, Empty, Row, Spin, Typography } from 'antd';
import ErrorNotice from '../../components/ErrorNotice';
import { useUrlState } from '../../hooks';
import PluginList from './PluginList';
import ResourceDetail from './ResourceDetail';
import ResourceTree from './ResourceTree';
import TargetPath from './TargetPath';
import { MOST_RESOURCES, useCatalogue } from './useCatalogue';

function NoPlugin() {
  return (
    <Empty
      data-testid="storage-empty"
      description={
        <>
          No storage plugin has reported yet; see <Typography.Text code>docs/plugins.md</Typography.Text>
        </>
      }
    />
  );
}

export default function Storage() {
  const [params, update] = useUrlState();
  const selected = params.get('resource') || undefined;
  const target = params.get('target') || undefined;
  const includeRemoved = params.get('removed') === '1';
  const { catalogue, ready, error, total } = useCatalogue(includeRemoved);
  const select = (id: string) => update({ resource: id });

  const targetPath = target && (
    <TargetPath
      targetId={target}
      catalogue={catalogue}
      selected={selected}
      onSelect={select}
      onClose={() => update({ target: null })}
    />
  );

  if (ready && catalogue.plugins.length === 0 && catalogue.resources.length === 0) {
    return (
      <div className="chroma-storage">
        <ErrorNotice error={error} />
        {targetPath}
        <Card size="small" title="Storage plugins">
          <NoPlugin />
        </Card>
      </div>
    );
  }

  const left = (
    <>
      <Card size="small" title="Storage plugins" style={{ marginBottom: 12 }}>
        {ready ? <PluginList plugins={catalogue.plugins} /> : <Spin />}
      </Card>
      <Card size="small" title={`Resources${ready ? ` (${total})` : ''}`} style={{ marginBottom: 12 }}>
        {total > MOST_RESOURCES && (
          <Typography.Paragraph type="warning">
            The tree holds the first {MOST_RESOURCES} of {total} resources.
          </Typography.Paragraph>
        )}
        {ready ? (
          <ResourceTree
            catalogue={catalogue}
            selected={selected}
            onSelect={select}
            classFilter={params.get('class') || undefined}
            text={params.get('q') || undefined}
            includeRemoved={includeRemoved}
            onFilter={update}
          />
        ) : (
          <Spin />
        )}
      </Card>
    </>
  );

  return (
    <div className="chroma-storage">
      <ErrorNotice error={error} />
      <Row gutter={16} wrap>
        <Col xs={24} lg={10} xl={8} xxl={6}>
          {left}
        </Col>
        <Col xs={24} lg={14} xl={16} xxl={18}>
          {targetPath}
          {selected ? (
            <ResourceDetail key={selected} id={selected} catalogue={catalogue} />
          ) : (
            !target && (
              <Card size="small" data-testid="storage-detail-empty">
                <Empty description="Select a resource in the tree to see it here" />
              </Card>
            )
          )}
        </Col>
      </Row>
    </div>
  );
}
