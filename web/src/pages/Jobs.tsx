// Jobs: the commands Chroma ran or runs (`/jobs`), and one command in full
// (`/jobs/:id`), both live.
import { Route, Routes } from 'react-router-dom';
import CommandDetail from './jobs/CommandDetail';
import CommandList from './jobs/CommandList';

export default function Jobs() {
  return (
    <Routes>
      <Route index element={<CommandList />} />
      <Route path=":id" element={<CommandDetail />} />
    </Routes>
  );
}
