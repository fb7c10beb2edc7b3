import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section aria-labelledby="nf-title" className="page">
      <h2 id="nf-title">Page not found</h2>
      <p>
        There is no page at this address. Go to the <Link to="/segments">segments</Link>.
      </p>
    </section>
  );
}
