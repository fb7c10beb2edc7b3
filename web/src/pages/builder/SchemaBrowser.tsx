/**
 * The schema browser: the sandbox's profile and event fields as a searchable tree with their
 * types (React Aria Tree: arrow keys, type-ahead, Enter). Activating a field inserts its path.
 */
import type { DataSchema, PqlType } from '@seg/shared';
import { typeToString } from '@seg/shared';
import { useMemo, useState } from 'react';
import {
  Button,
  Input,
  Label,
  SearchField,
  Tree,
  TreeItem,
  TreeItemContent,
  type Key,
} from 'react-aria-components';

export interface FieldNode {
  /** Unique key: `profile:person.name` or `event:commerce.order`. */
  id: string;
  /** The path PQL uses (relative to the profile, or to an event for event fields). */
  path: string;
  name: string;
  type: string;
  scope: 'profile' | 'event';
  children: FieldNode[];
}

function nodesOf(
  fields: Readonly<Record<string, PqlType>>,
  scope: 'profile' | 'event',
  prefix: string,
): FieldNode[] {
  return Object.keys(fields)
    .sort()
    .map((name) => {
      const t = fields[name]!;
      const path = prefix ? `${prefix}.${name}` : name;
      const inner =
        t.kind === 'object'
          ? t.fields
          : t.kind === 'list' && t.element.kind === 'object'
            ? t.element.fields
            : undefined;
      return {
        id: `${scope}:${path}`,
        path,
        name,
        type: typeToString(t),
        scope,
        children: inner ? nodesOf(inner, scope, path) : [],
      };
    });
}

export function schemaTree(schema: DataSchema): FieldNode[] {
  return [
    {
      id: 'profile',
      path: '',
      name: 'Profile',
      type: 'profile attributes',
      scope: 'profile',
      children: nodesOf(schema.profile.fields, 'profile', ''),
    },
    {
      id: 'event',
      path: 'xEvent',
      name: 'Experience events',
      type: 'xEvent',
      scope: 'event',
      children: nodesOf(schema.event.fields, 'event', ''),
    },
  ];
}

/** The tree reduced to the nodes whose path matches the query, with their ancestors. */
export function filterTree(nodes: FieldNode[], query: string): FieldNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return nodes;
  const out: FieldNode[] = [];
  for (const n of nodes) {
    const children = filterTree(n.children, q);
    if (children.length || (n.path && n.path.toLowerCase().includes(q)))
      out.push({ ...n, children });
  }
  return out;
}

function allIds(nodes: FieldNode[], into: Set<Key> = new Set()): Set<Key> {
  for (const n of nodes) {
    if (n.children.length) {
      into.add(n.id);
      allIds(n.children, into);
    }
  }
  return into;
}

function renderNode(n: FieldNode) {
  return (
    <TreeItem key={n.id} id={n.id} textValue={n.path || n.name} className="tree-item">
      <TreeItemContent>
        {({ hasChildItems, isExpanded }) => (
          <div className="tree-row">
            {hasChildItems ? (
              <Button
                slot="chevron"
                className="chevron"
                aria-label={
                  isExpanded ? `Collapse ${n.path || n.name}` : `Expand ${n.path || n.name}`
                }
              >
                {isExpanded ? '▾' : '▸'}
              </Button>
            ) : (
              <span className="chevron-space" />
            )}
            <span className="field-name">{n.name}</span>
            <span className="field-type">{n.type}</span>
          </div>
        )}
      </TreeItemContent>
      {n.children.map(renderNode)}
    </TreeItem>
  );
}

export function SchemaBrowser({
  schema,
  onInsert,
  unavailable,
}: {
  schema: DataSchema | null | undefined;
  onInsert: (node: FieldNode) => void;
  unavailable?: string;
}) {
  const [query, setQuery] = useState('');
  const tree = useMemo(() => (schema ? schemaTree(schema) : []), [schema]);
  const shown = useMemo(() => filterTree(tree, query), [tree, query]);
  const [expanded, setExpanded] = useState<Set<Key>>(() => new Set(['profile', 'event']));
  const expandedKeys = query.trim() ? allIds(shown) : expanded;
  const byId = useMemo(() => {
    const m = new Map<Key, FieldNode>();
    const go = (ns: FieldNode[]) => ns.forEach((n) => (m.set(n.id, n), go(n.children)));
    go(tree);
    return m;
  }, [tree]);

  return (
    <aside aria-labelledby="schema-title" className="schema-browser">
      <h3 id="schema-title">Schema</h3>
      <SearchField value={query} onChange={setQuery} className="search">
        <Label>Search fields</Label>
        <Input />
      </SearchField>
      {!schema && <p className="muted small">{unavailable ?? 'Loading the schema…'}</p>}
      {schema && (
        <Tree
          aria-label="Profile and event fields"
          className="tree"
          expandedKeys={expandedKeys}
          onExpandedChange={(keys) => !query.trim() && setExpanded(new Set(keys))}
          onAction={(key) => {
            const n = byId.get(key);
            if (n && n.path && n.id !== 'event') onInsert(n);
          }}
          renderEmptyState={() => <p className="muted small">No field matches “{query}”.</p>}
        >
          {shown.map(renderNode)}
        </Tree>
      )}
      <p className="muted small">
        Activate a field (click or Enter) to insert its path at the cursor.
      </p>
    </aside>
  );
}
