export default function Logs() {
  return <div>Logs</div>;
}
