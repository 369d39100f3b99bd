// Who is logged in, and what their role lets the console show.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { del, get, post, whenUnauthenticated, type Role, type Schemas, type User } from './api';

const POWER: Record<Role, number> = { readonly: 0, fsadmin: 1, superuser: 2 };

interface Auth {
  /** undefined while the session is being checked, null when logged out. */
  user: User | null | undefined;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  /** Whether the user's role reaches `role`: decides which controls appear. */
  can: (role: Role) => boolean;
}

const AuthContext = createContext<Auth>({
  user: undefined,
  login: async () => {},
  logout: async () => {},
  can: () => false,
});

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    whenUnauthenticated(() => setUser(null));
    get<{ user: User }>('/session')
      .then((s) => setUser(s.user))
      .catch(() => setUser(null));
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const session = await post<{ user: User }>('/session', { username, password } satisfies Schemas['Login']);
    setUser(session.user);
  }, []);

  const logout = useCallback(async () => {
    try {
      await del('/session');
    } catch {
      // The session is gone either way once the page forgets it.
    } finally {
      setUser(null);
    }
  }, []);

  const can = useCallback((role: Role) => !!user && POWER[user.role] >= POWER[role], [user]);

  return <AuthContext.Provider value={{ user, login, logout, can }}>{children}</AuthContext.Provider>;
}

export const useAuth = () => useContext(AuthContext);
