export default function Jobs() {
  return <div>Jobs</div>;
}
