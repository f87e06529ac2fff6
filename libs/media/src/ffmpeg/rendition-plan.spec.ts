import { outputSize, planRenditions, RENDITION_LADDER, scaleFilter } from './rendition-plan';

describe('renditions', () => {
  it('makes 360p and 720p from a 1080p or 720p source', () => {
    expect(planRenditions(1920, 1080).map((r) => r.name)).toEqual(['360p', '720p']);
    expect(planRenditions(1280, 720).map((r) => r.name)).toEqual(['360p', '720p']);
  });

  it('never scales up, but always makes the smallest rung', () => {
    expect(planRenditions(854, 480).map((r) => r.name)).toEqual(['360p']);
    expect(planRenditions(320, 240).map((r) => r.name)).toEqual(['360p']);
  });

  it('fixes the short side, for portrait videos too', () => {
    const [p360] = RENDITION_LADDER;
    expect(scaleFilter(p360, 1920, 1080)).toBe('scale=-2:360');
    expect(scaleFilter(p360, 1080, 1920)).toBe('scale=360:-2');
    expect(outputSize(p360, 1920, 1080)).toEqual({ width: 640, height: 360 });
    expect(outputSize(p360, 1080, 1920)).toEqual({ width: 360, height: 640 });
    expect(outputSize(p360, 1000, 750)).toEqual({ width: 480, height: 360 });
  });
});
