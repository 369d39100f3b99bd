// Adding a server: fetch the key it presents, have the user check that it
// is the server's own, then add it pinned to that key and follow the
// command that probes it.
import { Alert, Button, Checkbox, Descriptions, Form, Input, InputNumber, Modal, Space, Steps, Typography } from 'antd';
import { useState, useRef } from 'react';
import { ApiError, post, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import CommandProgress from './CommandProgress';
import PublicKey from './PublicKey';
import type { ScannedKey } from './types';

interface Address {
  address: string;
  port: number;
}

/** Where the server keeps the public half of a host key of this type. */
function keyFile(keyType: string) {
  if (keyType.includes('ed25519')) return '/etc/ssh/ssh_host_ed25519_key.pub';
  if (keyType.startsWith('ecdsa')) return '/etc/ssh/ssh_host_ecdsa_key.pub';
  if (keyType.includes('rsa')) return '/etc/ssh/ssh_host_rsa_key.pub';
  return '/etc/ssh/ssh_host_*_key.pub';
}

export default function AddServer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<Address>();
  const [scanned, setScanned] = useState<ScannedKey>();
  const [matches, setMatches] = useState(false);
  const [added, setAdded] = useState<Schemas['Added']>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const step = added ? 2 : scanned ? 1 : 0;

  // Bumped on close: an answer that arrives after the dialog closed is
  // for a server the user no longer asks about, and is dropped.
  const attempt = useRef(0);

  const close = () => {
    attempt.current += 1;
    onClose();
    form.resetFields();
    setScanned(undefined);
    setMatches(false);
    setAdded(undefined);
    setError(undefined);
  };

  /** Field errors go to their field; the rest above the form. */
  const fail = (e: unknown) => {
    if (e instanceof ApiError) {
      const fields = e.errors.filter((x) => x.field === 'address' || x.field === 'port');
      form.setFields(fields.map((x) => ({ name: x.field as 'address' | 'port', errors: [x.message] })));
      const rest = e.errors.filter((x) => !fields.includes(x));
      if (rest.length || !fields.length) setError(rest.length ? new ApiError(e.status, rest) : e);
    } else setError(e as Error);
  };

  const scan = async () => {
    let values: Address;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    const mine = ++attempt.current;
    setBusy(true);
    setError(undefined);
    try {
      const key = await post<ScannedKey>('/host/scan', {
        address: values.address.trim(),
        port: values.port,
      } satisfies Schemas['ScanRequest']);
      if (mine !== attempt.current) return;
      setScanned(key);
      setMatches(false);
    } catch (e) {
      if (mine === attempt.current) fail(e);
    } finally {
      if (mine === attempt.current) setBusy(false);
    }
  };

  const add = async () => {
    if (!scanned) return;
    setBusy(true);
    setError(undefined);
    try {
      setAdded(
        await post<Schemas['Added']>('/host', {
          address: scanned.address,
          port: scanned.port,
          fingerprint: scanned.fingerprint,
        } satisfies Schemas['HostRequest']),
      );
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const footer =
    step === 0 ? (
      <Space>
        <Button onClick={close}>Cancel</Button>
        <Button type="primary" onClick={scan} loading={busy} data-testid="host-scan">
          Fetch host key
        </Button>
      </Space>
    ) : step === 1 ? (
      <Space>
        <Button onClick={() => setScanned(undefined)} disabled={busy}>
          Back
        </Button>
        <Button type="primary" onClick={add} loading={busy} disabled={!matches} data-testid="host-add">
          Add server
        </Button>
      </Space>
    ) : (
      <Button onClick={close}>Close</Button>
    );

  return (
    <Modal open={open} title="Add a server" onCancel={close} footer={footer} width={720} destroyOnHidden>
      <Steps
        size="small"
        current={step}
        style={{ marginBottom: 16 }}
        items={[{ title: 'Address' }, { title: 'Check its key' }, { title: 'Probe' }]}
      />
      <ErrorNotice error={error} />
      {step === 0 && (
        <>
          <Form<Address> form={form} layout="vertical" initialValues={{ port: 22 }} onFinish={scan}>
            <Space align="start" wrap>
              <Form.Item
                name="address"
                label="Address"
                rules={[{ required: true, whitespace: true, message: 'A host name or IP address' }]}
              >
                <Input placeholder="oss3.example.com" style={{ width: 320 }} data-testid="host-address" autoFocus />
              </Form.Item>
              <Form.Item name="port" label="SSH port" rules={[{ required: true, message: 'A port' }]}>
                <InputNumber min={1} max={65535} style={{ width: 120 }} data-testid="host-port" />
              </Form.Item>
            </Space>
          </Form>
          <Typography.Paragraph type="secondary">
            Chroma logs in as root with its own key: install it on the server first.
          </Typography.Paragraph>
          <PublicKey />
        </>
      )}
      {step === 1 && scanned && (
        <>
          <Descriptions
            size="small"
            column={1}
            bordered
            items={[
              { key: 'server', label: 'Server', children: `${scanned.address}:${scanned.port}` },
              { key: 'type', label: 'Key type', children: scanned.key_type },
              {
                key: 'fingerprint',
                label: 'Fingerprint',
                children: (
                  <Typography.Text code copyable strong data-testid="host-fingerprint" style={{ wordBreak: 'break-all' }}>
                    {scanned.fingerprint}
                  </Typography.Text>
                ),
              },
            ]}
          />
          <Alert
            type="warning"
            showIcon
            style={{ margin: '12px 0' }}
            title="Check that this is the server's own key before adding it"
            description={
              <>
                On the server's console (not over this network), run{' '}
                <Typography.Text code copyable>{`ssh-keygen -lf ${keyFile(scanned.key_type)}`}</Typography.Text> and compare the
                fingerprint. Chroma will refuse to talk to a server that later presents another key.
              </>
            }
          />
          <Checkbox checked={matches} onChange={(e) => setMatches(e.target.checked)} data-testid="host-fingerprint-matches">
            The fingerprint matches the server's key
          </Checkbox>
        </>
      )}
      {step === 2 && added && (
        <>
          <Typography.Paragraph>
            {added.host.address}:{added.host.port} is added with its key pinned. Chroma now connects to it and detects its
            Lustre software and devices:
          </Typography.Paragraph>
          <CommandProgress id={added.command} />
        </>
      )}
    </Modal>
  );
}
