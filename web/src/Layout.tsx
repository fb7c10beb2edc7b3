import { NavLink, Outlet } from 'react-router';

export function Layout() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Segmentation Studio</h1>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Home
              </NavLink>
            </li>
          </ul>
        </nav>
      </header>
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}
