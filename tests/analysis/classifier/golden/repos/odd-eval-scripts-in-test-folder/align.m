function out = align(img, pts)
% similarity transform of a face to the template
out = imwarp(img, fitgeotrans(pts, [30 50; 70 50; 50 80], 'similarity'));
end
