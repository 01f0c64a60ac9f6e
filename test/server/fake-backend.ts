/** A ServeBackend that records what reached it, so a test can prove a refused request never did. */
import type {ServeBackend} from '../../source/server/backend.js';

export interface FakeBackend extends ServeBackend {
  calls: string[];
  /** The filters each search got, in order. */
  filters: unknown[];
  /** When set, embedUploads waits for it: lets a test hold uploads in flight. */
  holdUploads?: Promise<void>;
}

export function fakeBackend(): FakeBackend {
  const backend: FakeBackend = {
    calls: [],
    filters: [],
    stats: () => ({count: 2, model: 'fake', dtype: 'fp32', dims: 4, index: 'exact'}),
    searchText: async (query, k, filters) => {
      backend.filters.push(filters);
      const text = JSON.stringify(query);
      backend.calls.push(`text:${text}:${k}`);
      if (text.includes('crash')) throw new TypeError('the fake backend crashed on purpose');
      return [{rank: 1, id: 0, file: 'a.jpg', score: 0.5}];
    },
    searchImage: async (bytes, k, filters) => {
      backend.filters.push(filters);
      backend.calls.push(`image:${bytes.length}:${k}`);
      return [{rank: 1, id: 1, file: 'b.png', score: 0.9}];
    },
    searchById: async (id, k, filters) => {
      backend.filters.push(filters);
      backend.calls.push(`id:${id}:${k}`);
      return [{rank: 1, id, file: 'a.jpg', score: 1}];
    },
    imagePath: async (id) => {
      backend.calls.push(`imagePath:${id}`);
      return undefined;
    },
    embedUploads: async (files) => {
      backend.calls.push(`embed:${files.map((file) => file.data.length).join(',')}`);
      await backend.holdUploads;
      return {added: files.map((file, index) => ({id: 2 + index, file: file.name})), failed: []};
    },
    close: async () => undefined,
  };
  return backend;
}
