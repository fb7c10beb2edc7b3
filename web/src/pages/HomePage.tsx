export function HomePage() {
  return (
    <section aria-labelledby="home-title">
      <h2 id="home-title">Welcome</h2>
      <p>Define audiences with PQL and evaluate them against your profiles and events.</p>
    </section>
  );
}
