export default function Configure() {
  return <div>Configure</div>;
}
