// A server's LNet networks: shown as LNet's `networks=` form (`tcp(eth0),
// o2ib(ib0,ib1)`) and changed by typing `tcp=eth0 o2ib=ib0,ib1`. The change
// goes through a dry run like every other; the API checks the names and
// refuses while targets are mounted on the server.
import { Input, Popover, Space, Typography } from 'antd';
import { useState } from 'react';
import ConfirmAction from '../../components/ConfirmAction';
import { hostLabel, type Host, type LnetNetwork } from './types';

/** `tcp(eth0), o2ib(ib0,ib1)`. */
export function describeNetworks(networks: LnetNetwork[]): string {
  return networks.map((n) => `${n.net}(${n.interfaces.join(',')})`).join(', ');
}

/** `tcp=eth0 o2ib=ib0,ib1` → networks; names are checked by the API. */
export function parseNetworks(text: string): LnetNetwork[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const [net, interfaces = ''] = word.split('=', 2);
      return { net, interfaces: interfaces.split(',').filter(Boolean) };
    });
}

function asText(networks: LnetNetwork[] | null | undefined): string {
  return (networks ?? []).map((n) => `${n.net}=${n.interfaces.join(',')}`).join(' ');
}

export default function LnetNetworks({ host, onDone }: { host: Host; onDone: (response: unknown) => void }) {
  const [text, setText] = useState(asText(host.lnet_networks));
  const id = `${host.address}:${host.port}`;
  const form = (
    <Space direction="vertical" style={{ width: 320 }}>
      <Typography.Text type="secondary">
        Now: {host.lnet_networks ? describeNetworks(host.lnet_networks) : 'the module options’ networks'}. Type
        NET=INTERFACE[,INTERFACE…] per network, e.g. <code>tcp=eth0 o2ib=ib0,ib1</code>.
      </Typography.Text>
      <Input value={text} onChange={(e) => setText(e.target.value)} data-testid={`host-networks-input-${id}`} />
      <ConfirmAction
        size="small"
        type="primary"
        title={`Configure LNet on ${hostLabel(host)}`}
        method="PUT"
        path={`/host/${host.id}/lnet`}
        body={{ networks: parseNetworks(text) }}
        confirmField
        onDone={onDone}
        data-testid={`host-networks-apply-${id}`}
      >
        Review and apply
      </ConfirmAction>
    </Space>
  );
  return (
    <Popover content={form} title="LNet networks" trigger="click">
      <Typography.Link data-testid={`host-networks-${id}`}>LNet networks…</Typography.Link>
    </Popover>
  );
}
