export default function Alerts() {
  return <div>Alerts</div>;
}
