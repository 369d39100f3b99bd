export default function Parameters() {
  return <div>Parameters</div>;
}
