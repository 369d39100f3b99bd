// Set or change one parameter of a file system or of one of its targets.
// The key picker offers the catalogue (`GET /api/param`) and shows the help
// of the chosen parameter; a key the catalogue does not know needs "force".
// A value the API refuses (400, field `params.<key>`) is shown at the value
// field, as the API words it, and nothing else changes; an accepted one
// answers a command, followed live.
import { Alert, App, AutoComplete, Button, Card, Checkbox, Form, Input, Space, Typography } from 'antd';
import { SaveOutlined } from '@ant-design/icons';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, put, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import CommandProgress from './CommandProgress';
import {
  kindText,
  scopeText,
  specFor,
  type FilesystemInfo,
  type ParamSpec,
  type Planned,
  type TargetInfo,
} from './types';

export interface Preset {
  key: string;
  value: string;
  /** Changes on every request to fill the form, even with the same key. */
  n: number;
}

interface Props {
  fs: FilesystemInfo;
  target?: TargetInfo;
  catalogue: ParamSpec[] | undefined;
  preset?: Preset;
  onSaved: () => void;
}

/** The keys the picker offers: on a target, its class's; on a file system, every key with its targets spelled out. */
function keyOptions(fs: FilesystemInfo, target: TargetInfo | undefined, catalogue: ParamSpec[]) {
  const mdts = fs.targets.filter((t) => t.kind === 'mdt');
  const osts = fs.targets.filter((t) => t.kind === 'ost');
  const keys: { key: string; spec: ParamSpec }[] = [];
  for (const spec of catalogue) {
    if (target) {
      const fits =
        target.kind === 'mdt' ? spec.applies_to === 'mdt' || spec.applies_to === 'mdt_or_all_mdts' : spec.applies_to === 'ost';
      if (fits) keys.push({ key: spec.name, spec });
      continue;
    }
    if (spec.applies_to === 'filesystem' || spec.applies_to === 'mdt_or_all_mdts') keys.push({ key: spec.name, spec });
    if (spec.applies_to === 'mdt' || spec.applies_to === 'mdt_or_all_mdts')
      for (const t of mdts) keys.push({ key: `${t.name}.${spec.name}`, spec });
    if (spec.applies_to === 'ost') for (const t of osts) keys.push({ key: `${t.name}.${spec.name}`, spec });
  }
  return keys.map(({ key, spec }) => ({
    value: key,
    label: (
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <span>{key}</span>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {spec.unit ?? spec.kind.type}
        </Typography.Text>
      </div>
    ),
  }));
}

function Help({ spec, forceHint }: { spec: ParamSpec | undefined; forceHint: boolean }) {
  if (!spec) {
    return forceHint ? (
      <Typography.Text type="warning">
        Chroma does not know this parameter: tick “force” to store it unchecked (its key must still be well formed).
      </Typography.Text>
    ) : null;
  }
  return (
    <div data-testid="param-help" style={{ fontSize: 12 }}>
      <div>{spec.description}</div>
      <div>
        Takes {kindText(spec)}
        {spec.default !== null && <>; Lustre's default is {spec.default}</>}. Applies to {scopeText(spec.applies_to)};{' '}
        {spec.side === 'client' ? 'held by clients (servers cannot show its live value).' : 'servers show its live value.'}
      </div>
    </div>
  );
}

export default function ParamForm({ fs, target, catalogue, preset, onSaved }: Props) {
  const { message } = App.useApp();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [force, setForce] = useState(false);
  const [valueError, setValueError] = useState<string>();
  const [confirmation, setConfirmation] = useState<string>();
  const [error, setError] = useState<Error>();
  const [saving, setSaving] = useState(false);
  const [command, setCommand] = useState<string>();
  const box = useRef<HTMLDivElement>(null);

  // Switching file system or target starts afresh.
  useEffect(() => {
    setKey('');
    setValue('');
    setForce(false);
    setValueError(undefined);
    setConfirmation(undefined);
    setError(undefined);
    setCommand(undefined);
  }, [fs.id, target?.id]);

  useEffect(() => {
    if (!preset) return;
    setKey(target && preset.key.startsWith(`${target.name}.`) ? preset.key.slice(target.name.length + 1) : preset.key);
    setValue(preset.value);
    setValueError(undefined);
    setConfirmation(undefined);
    setError(undefined);
    // Below the table on narrow screens: bring the form into view.
    box.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [preset?.n]);

  const options = useMemo(() => keyOptions(fs, target, catalogue ?? []), [fs, target, catalogue]);
  const trimmed = key.trim();
  const spec = specFor(catalogue, trimmed);
  const unknown = trimmed !== '' && catalogue !== undefined && !spec;

  const save = async (confirm: boolean) => {
    if (!trimmed) return;
    setSaving(true);
    setValueError(undefined);
    setError(undefined);
    const path = target ? `/target/${target.id}/params` : `/filesystem/${fs.id}/params`;
    try {
      const planned = await put<Planned>(path, { params: { [trimmed]: value }, force, confirm } satisfies Schemas['ParamsRequest']);
      setConfirmation(undefined);
      if (planned.command) {
        setCommand(planned.command);
      } else {
        message.info(`${trimmed}: nothing to apply`);
      }
      onSaved();
    } catch (e) {
      const refused = e instanceof ApiError ? e : undefined;
      const atValue = refused?.status === 400 ? (refused.about(`params.${trimmed}`) ?? refused.about('params')) : undefined;
      const needsConfirm = refused?.status === 409 ? refused.about('confirm') : undefined;
      if (atValue) setValueError(atValue);
      else if (needsConfirm) setConfirmation(needsConfirm);
      else setError(e as Error);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div ref={box}>
      <Card size="small" title={`Set a parameter of ${target ? target.name : fs.name}`} data-testid="param-form">
        <Form layout="vertical" onFinish={() => void save(!!confirmation)} requiredMark={false}>
          <Form.Item label="Key" extra={<Help spec={spec} forceHint={unknown} />}>
            <AutoComplete
              value={key}
              options={options}
              onChange={(v: string) => {
                setKey(v ?? '');
                setValueError(undefined);
                setConfirmation(undefined);
              }}
              showSearch={{
                filterOption: (input, option) => String(option?.value ?? '').toLowerCase().includes(input.toLowerCase()),
              }}
              popupMatchSelectWidth={false}
              style={{ width: '100%' }}
            >
              <Input
                data-testid="param-key"
                placeholder={target ? 'ost.sync_journal' : `sys.timeout, ${fs.name}-OST0000.osc.max_dirty_mb`}
                autoComplete="off"
                spellCheck={false}
              />
            </AutoComplete>
          </Form.Item>
          <Form.Item
            label={spec?.unit ? `Value (${spec.unit})` : 'Value'}
            validateStatus={valueError ? 'error' : undefined}
            help={valueError}
            extra={spec?.default != null ? `Lustre's default: ${spec.default}` : undefined}
          >
            <Input
              data-testid="param-value"
              value={value}
              onChange={(e) => {
                setValue(e.target.value);
                setValueError(undefined);
              }}
              onPressEnter={(e) => {
                e.preventDefault();
                void save(!!confirmation);
              }}
              placeholder={spec ? kindText(spec) : 'value'}
              autoComplete="off"
              spellCheck={false}
              status={valueError ? 'error' : undefined}
            />
          </Form.Item>
          <Form.Item>
            <Checkbox data-testid="param-force" checked={force} onChange={(e) => setForce(e.target.checked)}>
              Force: store a parameter Chroma does not know
            </Checkbox>
          </Form.Item>
          {confirmation && (
            <Alert type="warning" showIcon title={confirmation} style={{ marginBottom: 12 }} data-testid="param-confirmation" />
          )}
          <ErrorNotice error={error} />
          <Space wrap>
            <Button
              type="primary"
              htmlType="submit"
              icon={<SaveOutlined />}
              loading={saving}
              disabled={!trimmed}
              danger={!!confirmation}
              data-testid="param-save"
            >
              {confirmation ? 'Confirm and save' : 'Save and apply'}
            </Button>
            <Button
              onClick={() => {
                setKey('');
                setValue('');
                setForce(false);
                setValueError(undefined);
                setConfirmation(undefined);
                setError(undefined);
              }}
            >
              Clear
            </Button>
          </Space>
        </Form>
        {command && (
          <div style={{ marginTop: 12 }}>
            <CommandProgress key={command} id={command} onFinished={onSaved} />
          </div>
        )}
      </Card>
    </div>
  );
}
