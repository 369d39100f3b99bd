import { Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useAuth } from '../auth';
import ErrorNotice from '../components/ErrorNotice';

export default function Login() {
  const { login } = useAuth();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async ({ username, password }: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await login(username, password);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ display: 'flex', justifyContent: 'center', alignItems: 'center', minHeight: '100%', background: '#0d1b2a' }}>
      <Card style={{ width: 360 }}>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          Chroma
        </Typography.Title>
        <Typography.Paragraph type="secondary">Lustre file system management</Typography.Paragraph>
        <ErrorNotice error={error} />
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item label="Username" name="username" rules={[{ required: true, message: 'Enter your username' }]}>
            <Input autoFocus autoComplete="username" />
          </Form.Item>
          <Form.Item label="Password" name="password" rules={[{ required: true, message: 'Enter your password' }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            Log in
          </Button>
        </Form>
      </Card>
    </div>
  );
}
