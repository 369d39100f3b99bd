// Chroma's public SSH key, to add to ~root/.ssh/authorized_keys on servers.
import { Typography } from 'antd';
import { get, type Schemas } from '../../api';
import ErrorNotice from '../../components/ErrorNotice';
import { useLoad } from '../../hooks';

export default function PublicKey() {
  const { data, error } = useLoad(() => get<Schemas['PublicKey']>('/ssh_key'), []);
  return (
    <div data-testid="ssh-key">
      <ErrorNotice error={error} />
      {data && (
        <>
          <Typography.Paragraph
            code
            copyable={{ text: data.public_key }}
            style={{ wordBreak: 'break-all', marginBottom: 4 }}
          >
            {data.public_key}
          </Typography.Paragraph>
          <Typography.Text type="secondary">
            Fingerprint {data.fingerprint}. On each server: append it to <Typography.Text code>~root/.ssh/authorized_keys</Typography.Text>.
          </Typography.Text>
        </>
      )}
    </div>
  );
}
