// The notification area: alerts as they are raised and commands as they
// finish, live from the stream, with a badge for what is unread and a
// drawer listing the latest. Active alerts are counted from the API so the
// badge is right from the first moment, not only after the next change.
import { BellOutlined } from '@ant-design/icons';
import { App, Badge, Button, Drawer, Empty, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { get, isFinal, type Command, type Narrow, type Page, type Schemas } from '../api';
import { time } from '../format';
import { useEveryChange } from '../stream';
import StateTag from './StateTag';

/** An alert. The document types `details` as any JSON; it is an object. */
export type AlertRecord = Narrow<Schemas['AlertView'], { details: Record<string, unknown> }>;

interface Note {
  key: string;
  at: string;
  state: string;
  text: string;
  link: string;
}

const KEEP = 50;

export default function Notifications() {
  const { notification } = App.useApp();
  const [open, setOpen] = useState(false);
  const [notes, setNotes] = useState<Note[]>([]);
  const [unread, setUnread] = useState(0);
  const [active, setActive] = useState(0);

  const countActive = useCallback(() => {
    get<Page<AlertRecord>>('/alert', { active: true, limit: 1 })
      .then((page) => setActive(page.meta.total_count))
      .catch(() => {});
  }, []);

  useEffect(() => {
    countActive();
    // The latest finished commands and active alerts, so the drawer is not
    // empty after a reload.
    Promise.all([
      get<Page<AlertRecord>>('/alert', { active: true, limit: 20, order_by: '-raised_at' }),
      get<Page<Command>>('/command', { limit: 10 }),
    ])
      .then(([alerts, commands]) => {
        const initial: Note[] = [
          ...alerts.objects.map(alertNote),
          ...commands.objects.filter((c) => isFinal(c.state)).map(commandNote),
        ];
        initial.sort((a, b) => b.at.localeCompare(a.at));
        setNotes(initial.slice(0, KEEP));
      })
      .catch(() => {});
  }, [countActive]);

  const add = useCallback(
    (note: Note, level: 'info' | 'success' | 'warning' | 'error') => {
      setNotes((current) => [note, ...current.filter((n) => n.key !== note.key)].slice(0, KEEP));
      setUnread((n) => n + 1);
      notification[level]({
        key: note.key,
        title: note.text,
        description: <Link to={note.link}>Show</Link>,
        placement: 'bottomRight',
        duration: level === 'error' || level === 'warning' ? 10 : 4,
        props: { 'data-testid': 'notification' } as Record<string, string>,
      });
    },
    [notification],
  );

  useEveryChange((change) => {
    if (change.kind === 'alert') {
      countActive();
      if (change.op === 'insert' && change.id) {
        get<AlertRecord>(`/alert/${change.id}`)
          .then((alert) => add(alertNote(alert), alert.severity === 'error' ? 'error' : 'warning'))
          .catch(() => {});
      }
    } else if (change.kind === 'command' && change.id && change.state && isFinal(change.state)) {
      get<Command>(`/command/${change.id}`)
        .then((command) => add(commandNote(command), command.state === 'succeeded' ? 'success' : 'error'))
        .catch(() => {});
    }
  });

  return (
    <>
      <Badge count={unread} size="small" offset={[-4, 4]}>
        <Button
          type="text"
          aria-label="Notifications"
          data-testid="notifications"
          icon={<BellOutlined style={{ color: '#fff', fontSize: 18 }} />}
          onClick={() => {
            setOpen(true);
            setUnread(0);
          }}
        />
      </Badge>
      {active > 0 && (
        <Link to="/alerts?active=true" data-testid="active-alerts">
          <Badge count={active} color="red" title={`${active} active alert(s)`} />
        </Link>
      )}
      <Drawer title="Notifications" open={open} onClose={() => setOpen(false)} size="default">
        {notes.length === 0 ? (
          <Empty description="Nothing yet" />
        ) : (
          <div>
            {notes.map((note) => (
              <div key={note.key} data-testid="notification-item" style={{ padding: '8px 0', borderBottom: '1px solid #f0f0f0' }}>
                <Space orientation="vertical" size={0} style={{ width: '100%' }}>
                  <Space>
                    <StateTag state={note.state} />
                    <Link to={note.link} onClick={() => setOpen(false)}>
                      {note.text}
                    </Link>
                  </Space>
                  <Typography.Text type="secondary">{time(note.at)}</Typography.Text>
                </Space>
              </div>
            ))}
          </div>
        )}
      </Drawer>
    </>
  );
}

function alertNote(alert: AlertRecord): Note {
  return {
    key: `alert-${alert.id}`,
    at: alert.raised_at,
    state: alert.cleared_at ? 'cleared' : alert.severity,
    text: alert.message,
    link: `/alerts?id=${alert.id}`,
  };
}

function commandNote(command: Command): Note {
  return {
    key: `command-${command.id}`,
    at: (command.finished_at as string | null) ?? command.created_at,
    state: command.state,
    text: command.message,
    link: `/jobs/${command.id}`,
  };
}
